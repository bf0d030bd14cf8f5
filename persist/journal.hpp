// The journal interface (DESIGN.md §6): durable, group-committed records and ingress dedupe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/latency_histogram.hpp"
#include "core/log.hpp"
#include "core/time.hpp"

namespace blendroute::persist {

/// One record to make durable. A record belongs to a conversation (`conv`), to an agent
/// (`agent`), or to neither (router-wide, such as a delivery ack).
struct journal_record {
  std::string conv;
  std::string agent;
  std::string dedupe_id;  ///< The ingress id this record consumes, or empty.
  std::string payload;    ///< A JSON object describing what happened.
};

/// A conversation's journal as recovery reads it: its latest snapshot, if any, and the
/// records after it, oldest first (all of them without a snapshot).
struct conversation_history {
  /// The bytes `save_snapshot` kept (core/conversation_snapshot.hpp).
  std::optional<std::string> snapshot;
  std::vector<std::string> payloads;
  /// Names the last record read, the snapshot's or a payload's: a snapshot of the state
  /// after these records is saved `through` it.
  std::uint64_t last_sequence = 0;
};

/// Whether the journal can write now (DESIGN.md §6 "unavailable"): after a failed write
/// (a full disk, an I/O error) it is not writable until a write succeeds again.
struct journal_health {
  bool writable = true;
  std::string last_error;           ///< Of the write that failed, while not writable.
  std::uint64_t failed_writes = 0;  ///< Group commits that failed since the start.
};

/// Makes the journal's file writes fail, as a full disk does, while `fail` is set, and counts
/// the syncs of its write-ahead log. For the tests of disk faults and of `journal.sync`; the
/// server never sets it.
struct write_faults {
  std::atomic<bool> fail{false};
  std::atomic<std::uint64_t> log_syncs{0};  ///< Successful syncs of the write-ahead log.
};

/// What the RocksDB journal needs besides its configuration.
struct journal_options {
  log_sink* log = nullptr;         ///< Write failures and recoveries; may be null.
  write_faults* faults = nullptr;  ///< Tests only.
};

/// Called once per append, on the journal's commit thread, when the records are durable
/// under the configured sync mode or have failed. Must not block.
using commit_callback = std::function<void(const result<void>&)>;

/// Answer of `journal::claim`.
enum class dedupe_claim { fresh, duplicate, deferred };

/// Told whether an earlier event with the same id was written (`true`: the deferred event is
/// a duplicate) or rejected (`false`: the deferred event now owns the id and goes ahead).
using claim_decided = std::function<void(bool written)>;

/// The durable journal. Thread-safe: any actor or I/O thread may call it.
class journal {
public:
  virtual ~journal() = default;

  /// Queues `records` for the next group commit; `done` runs when they are written. Records
  /// of one append are written atomically and in order.
  virtual void append(std::vector<journal_record> records, commit_callback done) = 0;

  /// Appends one record. A braced `append({record}, …)` would copy it: the elements of an
  /// initializer list are const, and a record's payload is a few hundred bytes.
  void append_record(journal_record record, commit_callback done) {
    std::vector<journal_record> records;
    records.push_back(std::move(record));
    append(std::move(records), std::move(done));
  }

  /// Claims ingress id `id`. `fresh` means the caller owns it until it appends a record
  /// carrying it (which makes it permanent) or calls `release` (a rejected event, whose id
  /// may be used again). `duplicate` means it was accepted before. `deferred` means an event
  /// with this id is being applied now: `decided` is called once that one is written or
  /// rejected, on the thread that settles it.
  virtual dedupe_claim claim(const std::string& id, claim_decided decided) = 0;

  /// Gives back a fresh claim whose event was rejected.
  virtual void release(const std::string& id) = 0;

  /// The payloads journaled for `conv`, oldest first (for `journal inspect`).
  virtual result<std::vector<std::string>> history(const std::string& conv) = 0;

  /// Calls `visit(conv, payloads)` for every conversation in the journal, with its payloads
  /// oldest first. For recovery at start, before the first append.
  virtual result<void> for_each_conversation(
      const std::function<void(const std::string& conv, std::vector<std::string>& payloads)>&
          visit) = 0;

  /// Like `for_each_conversation`, but a conversation with a snapshot is read from it: the
  /// records the snapshot covers are skipped, not read. A journal without snapshots (the
  /// memory journal) hands every record over, as `for_each_conversation` does.
  virtual result<void> for_each_conversation_history(
      const std::function<void(const std::string& conv, conversation_history& history)>& visit) {
    return for_each_conversation([&](const std::string& conv, std::vector<std::string>& payloads) {
      conversation_history history;
      history.last_sequence = payloads.size();
      history.payloads = std::move(payloads);
      visit(conv, history);
    });
  }

  /// Keeps `snapshot` as the state of `conv` after its records up to `through` (a
  /// `conversation_history::last_sequence`), replacing an older one; recovery then starts
  /// from it. Queued behind the appends made before it; `done` runs once it is written. A
  /// journal that keeps no snapshots (the memory journal) drops it and succeeds.
  virtual void save_snapshot(const std::string& conv, std::uint64_t through, std::string snapshot,
                             commit_callback done) {
    (void)conv;
    (void)through;
    (void)snapshot;
    done({});
  }

  /// Conversations that gained about `journal.snapshot_records` records or more since their
  /// last snapshot (or the start), at most `most`, each handed out once until it gains as
  /// many again. Counted per group commit in a fixed table, so a few may come early (two
  /// conversations sharing a slot). None from a journal that keeps no snapshots.
  virtual std::vector<std::string> take_snapshot_candidates(std::size_t most) {
    (void)most;
    return {};
  }

  /// One conversation's history as `for_each_conversation_history` reads it: its latest
  /// snapshot and the records after it. An unknown conversation has no records.
  virtual result<conversation_history> history_since_snapshot(const std::string& conv) {
    auto payloads = history(conv);
    if (!payloads) {
      return payloads.err();
    }
    conversation_history out;
    out.last_sequence = payloads->size();
    out.payloads = std::move(*payloads);
    return out;
  }

  /// Calls `visit(agent, payload)` with the last journaled state of every agent.
  virtual result<void> for_each_agent(
      const std::function<void(const std::string& agent, const std::string& payload)>& visit) = 0;

  /// Deletes the history of the finished conversations `convs` (their retention is over)
  /// and every ingress id committed before `ids_before`, which may then be used again.
  /// Queued behind the appends made before it; `done` runs once it is written.
  virtual void forget(std::vector<std::string> convs, time_point ids_before,
                      commit_callback done) = 0;

  /// Records a decision of the router itself about `subject` (the rollout): `payload`
  /// becomes the subject's latest state and is appended to its audit trail, in the order of
  /// the calls. `done` runs when it is written, like an append's.
  virtual void record_control(const std::string& subject, std::string payload,
                              commit_callback done) {
    (void)subject;
    (void)payload;
    done({});
  }

  /// The latest state recorded for `subject`, or none.
  virtual result<std::optional<std::string>> control_state(const std::string& subject) {
    (void)subject;
    return std::optional<std::string>{};
  }

  /// Every payload recorded for `subject`, oldest first.
  virtual result<std::vector<std::string>> control_history(const std::string& subject) {
    (void)subject;
    return std::vector<std::string>{};
  }

  /// How long each group commit took to write (its fsync included under `batch` and
  /// `always`), since the journal opened. Thread-safe.
  virtual latency_histogram commit_latency() const { return {}; }

  /// Whether writes succeed now. Thread-safe.
  virtual journal_health health() const { return {}; }

  /// Waits until the journal can decide claims (the ingress ids it holds are loaded, which
  /// opening starts in the background so that recovery runs meanwhile). An error means the
  /// ids could not be read: the router must not take events. `claim` waits for it too.
  virtual result<void> wait_ready() { return {}; }

  /// Writes what is queued and stops the commit thread. Later appends fail.
  virtual void close() = 0;
};

/// Opens (or creates) the RocksDB journal at `cfg.path`.
result<std::unique_ptr<journal>> open_rocksdb_journal(const journal_config& cfg,
                                                      journal_options options = {});

/// A journal kept in memory, for tests: same contract, nothing survives the process.
/// `clock` dates the ingress ids for `forget`.
std::unique_ptr<journal> make_memory_journal(std::function<time_point()> clock);

}  // namespace blendroute::persist
