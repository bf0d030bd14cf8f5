// The RocksDB journal: column families, one commit thread, group commit per sync mode.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "persist/dedupe_index.hpp"
#include "persist/journal.hpp"

namespace blendroute::persist {
namespace {

/// Column families, in the order they are opened. `dedupe_log` holds the ingress ids of each
/// group commit in one row, keyed by the commit's time: one write per group instead of one
/// per event, and retention drops old ids by key range. `dedupe` (one row per id) is only
/// read, for journals written before.
enum family : std::size_t { meta, events, dedupe, agents, dedupe_log, family_count };

// "default" is rocksdb::kDefaultColumnFamilyName, spelled out to avoid static init order.
const char* const family_names[family_count] = {"default", "events", "dedupe", "agents",
                                                "dedupe_log"};

constexpr char next_sequence_key[] = "next_sequence";

/// Big-endian, so that a conversation's records sort in the order they were written.
void append_sequence(std::string& key, std::uint64_t sequence) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((sequence >> shift) & 0xff));
  }
}

std::uint64_t read_sequence(std::string_view bytes) {
  std::uint64_t sequence = 0;
  for (char c : bytes) {
    sequence = (sequence << 8) | static_cast<unsigned char>(c);
  }
  return sequence;
}

/// Appends `id` to a dedupe log row: its length as a LEB128 varint, then its bytes.
void append_logged_id(std::string& row, std::string_view id) {
  std::size_t length = id.size();
  while (length >= 0x80) {
    row.push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  row.push_back(static_cast<char>(length));
  row.append(id);
}

/// Calls `visit` for each id of a dedupe log row; false when the row is malformed.
template <class Visit>
bool for_each_logged_id(std::string_view row, Visit visit) {
  while (!row.empty()) {
    std::size_t length = 0;
    int shift = 0;
    for (;;) {
      if (row.empty() || shift > 28) {
        return false;
      }
      const auto byte = static_cast<unsigned char>(row.front());
      row.remove_prefix(1);
      length |= static_cast<std::size_t>(byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) {
        break;
      }
    }
    if (length > row.size()) {
      return false;
    }
    visit(row.substr(0, length));
    row.remove_prefix(length);
  }
  return true;
}

/// Router time in Unix milliseconds, for the keys of the dedupe log.
std::uint64_t now_unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string conversation_prefix(const std::string& conv) {
  std::string prefix = conv;
  prefix.push_back('\0');
  return prefix;
}

result<void> io_error(const char* what, const rocksdb::Status& status) {
  return {errc::unavailable, std::string(what) + ": " + status.ToString()};
}

/// One append, or one retention pass (`forgetting`): conversations to delete, ingress ids
/// committed before `ids_before_ms` to drop.
struct pending_append {
  std::vector<journal_record> records;
  commit_callback done;
  bool forgetting = false;
  std::vector<std::string> forget;
  std::uint64_t ids_before_ms = 0;
};

class rocksdb_journal final : public journal {
public:
  rocksdb_journal(journal_config cfg, std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> families, std::uint64_t next_sequence)
      : cfg_(std::move(cfg)),
        db_(std::move(db)),
        families_(std::move(families)),
        next_sequence_(next_sequence) {
    commit_thread_ = std::thread([this] { run_commits(); });
  }

  ~rocksdb_journal() override {
    close();
    for (auto* handle : families_) {
      db_->DestroyColumnFamilyHandle(handle);
    }
  }

  void append(std::vector<journal_record> records, commit_callback done) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        pending_append item;
        item.records = std::move(records);
        item.done = std::move(done);
        queue_.push_back(std::move(item));
        wake_.notify_one();
        return;
      }
    }
    done(result<void>{errc::unavailable, "the journal is closed"});
  }

  void forget(std::vector<std::string> convs, time_point ids_before,
              commit_callback done) override {
    pending_append pass;
    pass.done = std::move(done);
    pass.forgetting = true;
    pass.forget = std::move(convs);
    pass.ids_before_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, unix_ms(ids_before)));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        queue_.push_back(std::move(pass));
        wake_.notify_one();
        return;
      }
    }
    pass.done(result<void>{errc::unavailable, "the journal is closed"});
  }

  dedupe_claim claim(const std::string& id, claim_decided decided) override {
    if (!dedupe_ready_.load(std::memory_order_acquire)) {
      wait_ready();  // Only before the listeners open; the server waits for it first.
    }
    return dedupe_.claim(id, std::move(decided));
  }

  result<void> wait_ready() override {
    std::unique_lock<std::mutex> lock(loading_mutex_);
    loaded_.wait(lock, [this] { return dedupe_ready_.load(); });
    return dedupe_outcome_;
  }

  /// Loads the ingress ids the journal holds on a thread of its own.
  void start_loading_dedupe() {
    dedupe_loader_ = std::thread([this] {
      result<void> outcome = load_dedupe_ids();
      std::lock_guard<std::mutex> lock(loading_mutex_);
      dedupe_outcome_ = std::move(outcome);
      dedupe_ready_.store(true, std::memory_order_release);
      loaded_.notify_all();
    });
  }

  void release(const std::string& id) override { dedupe_.release(id); }

  result<std::vector<std::string>> history(const std::string& conv) override {
    std::vector<std::string> payloads;
    const std::string prefix = conversation_prefix(conv);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), families_[events]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      payloads.push_back(it->value().ToString());
    }
    if (!it->status().ok()) {
      return error{errc::journal_io,
                   "reading conversation " + conv + ": " + it->status().ToString()};
    }
    return payloads;
  }

  result<void> for_each_conversation(
      const std::function<void(const std::string&, std::vector<std::string>&)>& visit) override {
    rocksdb::ReadOptions options;
    // One pass over everything: keep it out of the block cache the live traffic uses.
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_[events]));
    std::string conv;
    std::vector<std::string> payloads;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      // Key: conversation id, a NUL, then an 8-byte sequence number.
      if (key.size() < 9 || key[key.size() - 9] != '\0') {
        return error{errc::journal_io, "malformed journal key at " + cfg_.path};
      }
      const std::string_view key_conv(key.data(), key.size() - 9);
      if (key_conv != conv) {
        if (!payloads.empty()) {
          visit(conv, payloads);
          payloads.clear();
        }
        conv.assign(key_conv);
      }
      payloads.push_back(it->value().ToString());
    }
    if (!it->status().ok()) {
      return error{errc::journal_io,
                   "reading the journal at " + cfg_.path + ": " + it->status().ToString()};
    }
    if (!payloads.empty()) {
      visit(conv, payloads);
    }
    return {};
  }

  result<void> for_each_agent(
      const std::function<void(const std::string&, const std::string&)>& visit) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), families_[agents]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      visit(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) {
      return error{errc::journal_io,
                   "reading agents at " + cfg_.path + ": " + it->status().ToString()};
    }
    return {};
  }

  void close() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
      wake_.notify_one();
    }
    if (dedupe_loader_.joinable()) {
      dedupe_loader_.join();
    }
    commit_thread_.join();
    db_->FlushWAL(true);
  }

  /// Loads every accepted ingress id. A read error fails the start: running on with some
  /// ids missing would apply a retried event twice.
  result<void> load_dedupe_ids() {
    // One rehash-free load: RocksDB's estimate is close enough to size the table once.
    std::uint64_t estimate = 0;
    std::uint64_t rows = 0;
    if (db_->GetIntProperty(families_[events], "rocksdb.estimate-num-keys", &estimate)
        && db_->GetIntProperty(families_[dedupe], "rocksdb.estimate-num-keys", &rows)) {
      // Most events carry an ingress id.
      dedupe_.reserve(static_cast<std::size_t>(estimate + rows));
    }
    rocksdb::ReadOptions options;
    options.fill_cache = false;  // Read once at start.
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_[dedupe]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      dedupe_.load_committed(it->key().ToString());
    }
    if (!it->status().ok()) {
      return {errc::journal_io,
              "reading dedupe ids at " + cfg_.path + ": " + it->status().ToString()};
    }
    std::unique_ptr<rocksdb::Iterator> log(db_->NewIterator(options, families_[dedupe_log]));
    for (log->SeekToFirst(); log->Valid(); log->Next()) {
      const rocksdb::Slice row = log->value();
      if (!for_each_logged_id(std::string_view(row.data(), row.size()), [&](std::string_view id) {
            dedupe_.load_committed(std::string(id));
          })) {
        return {errc::journal_io, "malformed dedupe log row at " + cfg_.path};
      }
    }
    if (!log->status().ok()) {
      return {errc::journal_io,
              "reading dedupe ids at " + cfg_.path + ": " + log->status().ToString()};
    }
    return {};
  }

private:
  /// Takes everything queued (up to the batch limit) and writes it as one group: one
  /// WriteBatch and, under `batch`, one fsync for all of it. Under `always` each append gets
  /// its own synced write, so no ack ever waits on another client's records.
  void run_commits() {
    std::deque<pending_append> group;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) {
          return;
        }
        std::size_t events_taken = 0;
        while (!queue_.empty() && events_taken < cfg_.max_batch_events) {
          events_taken += queue_.front().records.size();
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }

      if (cfg_.sync == sync_mode::always) {
        for (auto& item : group) {
          std::deque<pending_append> single;
          single.push_back(std::move(item));
          write_group(single);
        }
      } else {
        write_group(group);
      }
      group.clear();
    }
  }

  void write_group(std::deque<pending_append>& group) {
    rocksdb::WriteBatch batch;
    const std::uint64_t first_sequence = next_sequence_;
    std::uint64_t sequence = first_sequence;
    std::string logged_ids;
    std::vector<std::string> expired_ids;
    for (const auto& item : group) {
      if (item.forgetting) {
        add_forget(batch, item, expired_ids);
      }
      for (const auto& record : item.records) {
        add_record(batch, record, sequence++);
        if (!record.dedupe_id.empty()) {
          append_logged_id(logged_ids, record.dedupe_id);
        }
      }
    }
    if (!logged_ids.empty()) {
      // Commit time first, so that the rows sort by age; the sequence keeps them unique.
      std::string key;
      append_sequence(key, now_unix_ms());
      append_sequence(key, first_sequence);
      batch.Put(families_[dedupe_log], key, logged_ids);
    }
    std::string sequence_value;
    append_sequence(sequence_value, sequence);
    batch.Put(families_[meta], next_sequence_key, sequence_value);

    rocksdb::WriteOptions options;
    options.sync = cfg_.sync != sync_mode::none;
    const rocksdb::Status status = db_->Write(options, &batch);

    result<void> outcome;
    if (status.ok()) {
      next_sequence_ = sequence;
    } else {
      outcome = io_error("journal write failed", status);
    }
    std::vector<const std::string*> ids;
    for (const auto& item : group) {
      for (const auto& record : item.records) {
        if (!record.dedupe_id.empty()) {
          ids.push_back(&record.dedupe_id);
        }
      }
    }
    if (status.ok()) {
      dedupe_.confirm_all(ids);
      dedupe_.forget(expired_ids);
    } else {
      dedupe_.release_all(ids);
    }
    for (auto& item : group) {
      item.done(outcome);
    }
  }

  /// Deletes what a retention pass names: each conversation's key range, and the dedupe log
  /// rows (their ids go to `expired_ids`) committed before the pass's time.
  void add_forget(rocksdb::WriteBatch& batch, const pending_append& pass,
                  std::vector<std::string>& expired_ids) {
    for (const auto& conv : pass.forget) {
      std::string first = conversation_prefix(conv);
      std::string past = conv;
      past.push_back('\x01');
      batch.DeleteRange(families_[events], first, past);
    }

    std::string before;
    append_sequence(before, pass.ids_before_ms);
    rocksdb::ReadOptions options;
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_[dedupe_log]));
    std::string first_row;
    for (it->SeekToFirst(); it->Valid() && it->key().compare(before) < 0; it->Next()) {
      if (first_row.empty()) {
        first_row = it->key().ToString();
      }
      const rocksdb::Slice row = it->value();
      for_each_logged_id(std::string_view(row.data(), row.size()),
                         [&](std::string_view id) { expired_ids.emplace_back(id); });
    }
    if (!first_row.empty()) {
      batch.DeleteRange(families_[dedupe_log], first_row, before);
    }
  }

  void add_record(rocksdb::WriteBatch& batch, const journal_record& record,
                  std::uint64_t sequence) {
    if (!record.conv.empty()) {
      std::string key = conversation_prefix(record.conv);
      append_sequence(key, sequence);
      batch.Put(families_[events], key, record.payload);
    }
    if (!record.agent.empty()) {
      // The agent family holds each agent's latest state, not its history.
      batch.Put(families_[agents], record.agent, record.payload);
    }
  }

  journal_config cfg_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  std::uint64_t next_sequence_;  ///< Touched only by the commit thread after start.
  dedupe_index dedupe_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending_append> queue_;
  bool stopping_ = false;
  std::thread commit_thread_;

  std::thread dedupe_loader_;
  std::mutex loading_mutex_;
  std::condition_variable loaded_;
  std::atomic<bool> dedupe_ready_{false};
  result<void> dedupe_outcome_;  ///< Guarded by loading_mutex_; set once, with dedupe_ready_.
};

}  // namespace

result<std::unique_ptr<journal>> open_rocksdb_journal(const journal_config& cfg) {
  // RocksDB creates the journal's directory, not its parents (a fresh `var/`).
  std::error_code made;
  if (const auto parent = std::filesystem::path(cfg.path).parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, made);
  }
  if (made) {
    return error{errc::journal_io,
                 "creating the parent directory of " + cfg.path + ": " + made.message()};
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // After a crash the last WAL record may be torn; anything worse must stop the start-up
  // rather than silently drop acknowledged events (see ENVIRONMENT.md).
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* family_name : family_names) {
    descriptors.emplace_back(family_name, rocksdb::ColumnFamilyOptions(options));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  const rocksdb::Status status =
      rocksdb::DB::Open(options, cfg.path, descriptors, &handles, &raw_db);
  if (!status.ok()) {
    return error{errc::journal_io, "opening journal at " + cfg.path + ": " + status.ToString()};
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);

  std::string sequence_value;
  std::uint64_t next_sequence = 1;
  const rocksdb::Status read =
      db->Get(rocksdb::ReadOptions(), handles[meta], next_sequence_key, &sequence_value);
  if (read.ok()) {
    next_sequence = read_sequence(sequence_value);
  } else if (!read.IsNotFound()) {
    for (auto* handle : handles) {
      db->DestroyColumnFamilyHandle(handle);
    }
    return error{errc::journal_io,
                 "reading journal sequence at " + cfg.path + ": " + read.ToString()};
  }

  auto journal_impl =
      std::make_unique<rocksdb_journal>(cfg, std::move(db), std::move(handles), next_sequence);
  journal_impl->start_loading_dedupe();
  return std::unique_ptr<journal>(std::move(journal_impl));
}

}  // namespace blendroute::persist
