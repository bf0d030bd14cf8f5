// The RocksDB journal: column families, one commit thread, group commit per sync mode.
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "persist/dedupe_index.hpp"
#include "persist/journal.hpp"

namespace blendroute::persist {
namespace {

/// Column families, in the order they are opened. `dedupe_log` holds the ingress ids of each
/// group commit in one row, keyed by the commit's time: one write per group instead of one
/// per event, and retention drops old ids by key range. `dedupe` (one row per id) is only
/// read, for journals written before. `snapshots` holds one row per conversation that has
/// one: the 8-byte sequence of the last record it covers, then the snapshot's bytes. New
/// families go at the end, so that journals written before open with them added.
enum family : std::size_t { meta, events, dedupe, agents, dedupe_log, snapshots, family_count };

// "default" is rocksdb::kDefaultColumnFamilyName, spelled out to avoid static init order.
const char* const family_names[family_count] = {"default", "events",     "dedupe",
                                                "agents",  "dedupe_log", "snapshots"};

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

constexpr std::string_view component = "persist.journal";

/// Keys of the router's own records in the meta family, apart from its counters.
std::string control_state_key(const std::string& subject) {
  return "control/" + subject + "/state";
}

std::string control_log_prefix(const std::string& subject) {
  return "control/" + subject + "/log/";
}

/// RocksDB's own diagnostic log, the `LOG` file in the journal's directory, written here
/// rather than by RocksDB. RocksDB's file logger keeps using its writer after a write failed,
/// and Debian's RocksDB, built with assertions, then aborts the process: a full disk would
/// crash the router at RocksDB's next log line instead of making it refuse events. This log
/// drops a line it cannot write. Warnings and errors also reach the router's own log.
class rocksdb_diagnostic_log final : public rocksdb::Logger {
public:
  rocksdb_diagnostic_log(const std::string& directory, log_sink* sink)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), path_(directory + "/LOG"), sink_(sink) {
    open_file();
  }

  ~rocksdb_diagnostic_log() override {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  rocksdb_diagnostic_log(const rocksdb_diagnostic_log&) = delete;
  rocksdb_diagnostic_log& operator=(const rocksdb_diagnostic_log&) = delete;

  using rocksdb::Logger::Logv;

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) {
      return;
    }
    char text[2048];
    const int length = std::vsnprintf(text, sizeof(text), format, ap);
    if (length < 0) {
      return;
    }
    const std::string_view message(text,
                                   std::min(static_cast<std::size_t>(length), sizeof(text) - 1));
    std::string line = timestamp();
    line.append(level_name(level));
    line.append(message);
    line.push_back('\n');
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (fd_ >= 0) {
        // A line that cannot be written (a full disk) is dropped; the next one is tried.
        const ssize_t written = ::write(fd_, line.data(), line.size());
        if (written > 0) {
          size_ += static_cast<std::size_t>(written);
        }
        if (size_ > rotate_at) {
          // It is appended to across restarts; two files bound it, as `LOG` and `LOG.old`.
          ::close(fd_);
          std::error_code ignored;
          std::filesystem::rename(path_, path_ + ".old", ignored);
          open_file();
        }
      }
    }
    if (sink_ != nullptr && level >= rocksdb::InfoLogLevel::WARN_LEVEL
        && level <= rocksdb::InfoLogLevel::FATAL_LEVEL) {
      const log_level ours =
          level == rocksdb::InfoLogLevel::WARN_LEVEL ? log_level::warn : log_level::error;
      if (sink_->enabled(ours)) {
        sink_->write(ours, "persist.rocksdb", message);
      }
    }
  }

private:
  static constexpr std::size_t rotate_at = std::size_t{64} << 20;

  void open_file() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    struct stat status {};

    size_ = fd_ >= 0 && ::fstat(fd_, &status) == 0 ? static_cast<std::size_t>(status.st_size) : 0;
  }

  static std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count()
        % 1'000'000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[48];
    const std::size_t length = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(stamp + length, sizeof(stamp) - length, ".%06lldZ ",
                  static_cast<long long>(micros));
    return stamp;
  }

  static std::string_view level_name(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
        return "[DEBUG] ";
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        return "[WARN] ";
      case rocksdb::InfoLogLevel::ERROR_LEVEL:
        return "[ERROR] ";
      case rocksdb::InfoLogLevel::FATAL_LEVEL:
        return "[FATAL] ";
      default:
        return "";
    }
  }

  const std::string path_;
  log_sink* const sink_;
  std::mutex mutex_;
  int fd_ = -1;           ///< Under mutex_ after construction.
  std::size_t size_ = 0;  ///< Of the open file; under mutex_.
};

/// A file whose writes fail while `faults.fail` is set, as on a full disk.
class faulty_file final : public rocksdb::FSWritableFileOwnerWrapper {
public:
  faulty_file(std::unique_ptr<rocksdb::FSWritableFile> file, write_faults& faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(faults) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return failing() ? full() : target()->Append(data, options, dbg);
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return failing() ? full() : target()->Append(data, options, info, dbg);
  }

  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return failing() ? full() : target()->Flush(options, dbg);
  }

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return counted(failing() ? full() : target()->Sync(options, dbg));
  }

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return counted(failing() ? full() : target()->Fsync(options, dbg));
  }

private:
  bool failing() const { return faults_.fail.load(std::memory_order_relaxed); }

  static rocksdb::IOStatus full() { return rocksdb::IOStatus::NoSpace("injected: disk full"); }

  rocksdb::IOStatus counted(rocksdb::IOStatus synced) {
    if (synced.ok()) {
      faults_.log_syncs.fetch_add(1, std::memory_order_relaxed);
    }
    return synced;
  }

  write_faults& faults_;
};

/// The file system of a journal under test, whose write-ahead log files are `faulty_file`s:
/// the events' own writes fail, as they do first when a disk fills. (A fault in RocksDB's
/// background flushes can leave it unable to resume until a restart; the journal logs that.)
class faulty_file_system final : public rocksdb::FileSystemWrapper {
public:
  explicit faulty_file_system(write_faults& faults)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), faults_(faults) {}

  const char* Name() const override { return "blendroute.faulty"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    return wrap(name, target()->NewWritableFile(name, options, file, dbg), file);
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* file,
                                       rocksdb::IODebugContext* dbg) override {
    return wrap(name, target()->ReopenWritableFile(name, options, file, dbg), file);
  }

  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* file,
                                      rocksdb::IODebugContext* dbg) override {
    return wrap(name, target()->ReuseWritableFile(name, old_name, options, file, dbg), file);
  }

  /// A full disk has no free space: RocksDB's own recovery from a full disk polls this, and
  /// must not try to recover (and fail for good, switching memtables onto a log it cannot
  /// write) while the fault lasts.
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 std::uint64_t* free_space, rocksdb::IODebugContext* dbg) override {
    if (faults_.fail.load(std::memory_order_relaxed)) {
      *free_space = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, free_space, dbg);
  }

private:
  rocksdb::IOStatus wrap(const std::string& name, rocksdb::IOStatus opened,
                         std::unique_ptr<rocksdb::FSWritableFile>* file) {
    const bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (opened.ok() && wal) {
      *file = std::make_unique<faulty_file>(std::move(*file), faults_);
    }
    return opened;
  }

  write_faults& faults_;
};

/// Tells the journal about errors RocksDB meets in its background work (a flush or a
/// compaction on a full disk), which no write call reports.
class background_errors final : public rocksdb::EventListener {
public:
  explicit background_errors(std::function<void(const std::string&)> failed)
      : failed_(std::move(failed)) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    if (error != nullptr && !error->ok()) {
      failed_(error->ToString());
    }
  }

private:
  std::function<void(const std::string&)> failed_;
};

/// One append, or one retention pass (`forgetting`): conversations to delete, ingress ids
/// committed before `ids_before_ms` to drop.
struct pending_append {
  std::vector<journal_record> records;
  commit_callback done;
  std::string control_subject;  ///< Set for a control record, whose payload is `control`.
  std::string control;
  bool forgetting = false;
  std::vector<std::string> forget;
  std::uint64_t ids_before_ms = 0;
  std::string snapshot_conv;  ///< Set for a snapshot: its row is `snapshot`.
  std::string snapshot;
};

class rocksdb_journal final : public journal {
public:
  rocksdb_journal(journal_config cfg, std::unique_ptr<rocksdb::Env> env,
                  std::unique_ptr<rocksdb::DB> db,
                  std::vector<rocksdb::ColumnFamilyHandle*> families, std::uint64_t next_sequence,
                  log_sink* log)
      : cfg_(std::move(cfg)),
        env_(std::move(env)),
        db_(std::move(db)),
        families_(std::move(families)),
        next_sequence_(next_sequence),
        log_(log) {
    commit_thread_ = std::thread([this] {
      // Named for operators' `top -H` and for profiles.
      pthread_setname_np(pthread_self(), "journal-commit");
      run_commits();
    });
  }

  ~rocksdb_journal() override {
    if (listener_slot_) {
      listener_slot_->store(nullptr);  // RocksDB's threads may still report until it closes.
    }
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
        enqueue(std::move(item));
        return;
      }
    }
    done(result<void>{errc::unavailable, "the journal is closed"});
  }

  void save_snapshot(const std::string& conv, std::uint64_t through, std::string snapshot,
                     commit_callback done) override {
    pending_append item;
    item.done = std::move(done);
    item.snapshot_conv = conv;
    append_sequence(item.snapshot, through);
    item.snapshot += snapshot;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        enqueue(std::move(item));
        return;
      }
    }
    item.done(result<void>{errc::unavailable, "the journal is closed"});
  }

  void record_control(const std::string& subject, std::string payload,
                      commit_callback done) override {
    pending_append item;
    item.done = std::move(done);
    item.control_subject = subject;
    item.control = std::move(payload);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_) {
        enqueue(std::move(item));
        return;
      }
    }
    item.done(result<void>{errc::unavailable, "the journal is closed"});
  }

  result<std::optional<std::string>> control_state(const std::string& subject) override {
    std::string value;
    const rocksdb::Status status =
        db_->Get(rocksdb::ReadOptions(), families_[meta], control_state_key(subject), &value);
    if (status.IsNotFound()) {
      return std::optional<std::string>{};
    }
    if (!status.ok()) {
      return error{errc::journal_io, "reading the state of " + subject + ": " + status.ToString()};
    }
    return std::optional<std::string>{std::move(value)};
  }

  result<std::vector<std::string>> control_history(const std::string& subject) override {
    std::vector<std::string> payloads;
    const std::string prefix = control_log_prefix(subject);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), families_[meta]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      payloads.push_back(it->value().ToString());
    }
    if (!it->status().ok()) {
      return error{errc::journal_io,
                   "reading the history of " + subject + ": " + it->status().ToString()};
    }
    return payloads;
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
        enqueue(std::move(pass));
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

  /// Lets RocksDB's background-error listener reach this journal through `slot`, which it
  /// empties when it goes.
  void listen_through(std::shared_ptr<std::atomic<rocksdb_journal*>> slot) {
    listener_slot_ = std::move(slot);
  }

  journal_health health() const override {
    std::lock_guard<std::mutex> lock(health_mutex_);
    return health_;
  }

  latency_histogram commit_latency() const override {
    std::lock_guard<std::mutex> lock(latency_mutex_);
    return commit_latency_;
  }

  /// Records a failed write (or background error); the first after a good one is logged.
  void note_failure(const std::string& why) {
    std::lock_guard<std::mutex> lock(health_mutex_);
    ++health_.failed_writes;
    health_.last_error = why;
    if (health_.writable) {
      health_.writable = false;
      log(log_level::error, "journal_write_failed path=" + cfg_.path + " error=\"" + why
                                + "\" action=rejecting_events");
    }
  }

  void note_success() {
    if (writable_.load(std::memory_order_relaxed)) {
      return;
    }
    std::lock_guard<std::mutex> lock(health_mutex_);
    if (!health_.writable) {
      health_.writable = true;
      log(log_level::info, "journal_write_recovered path=" + cfg_.path
                               + " failed_writes=" + std::to_string(health_.failed_writes));
    }
    writable_.store(true, std::memory_order_relaxed);
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

  result<void> for_each_conversation_history(
      const std::function<void(const std::string&, conversation_history&)>& visit) override {
    rocksdb::ReadOptions options;
    options.fill_cache = false;
    // One view of both families, so that a snapshot and the records after it agree.
    const rocksdb::Snapshot* view = db_->GetSnapshot();
    options.snapshot = view;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_[events]));
    std::unique_ptr<rocksdb::Iterator> snaps(db_->NewIterator(options, families_[snapshots]));
    snaps->SeekToFirst();
    auto fail = [&](const std::string& what) {
      db_->ReleaseSnapshot(view);
      return result<void>{errc::journal_io, what};
    };

    it->SeekToFirst();
    while (it->Valid()) {
      const rocksdb::Slice first = it->key();
      if (first.size() < 9 || first[first.size() - 9] != '\0') {
        return fail("malformed journal key at " + cfg_.path);
      }
      const std::string conv(first.data(), first.size() - 9);
      const std::string prefix = conversation_prefix(conv);
      conversation_history history;
      // Snapshot rows sort as their conversations' records do.
      while (snaps->Valid() && snaps->key().compare(conv) < 0) {
        snaps->Next();
      }
      if (snaps->Valid() && snaps->key() == rocksdb::Slice(conv) && snaps->value().size() >= 8) {
        const rocksdb::Slice row = snaps->value();
        history.last_sequence = read_sequence(std::string_view(row.data(), 8));
        history.snapshot.emplace(row.data() + 8, row.size() - 8);
        std::string after = prefix;
        append_sequence(after, history.last_sequence + 1);
        it->Seek(after);
      }
      for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
        const rocksdb::Slice key = it->key();
        if (key.size() != prefix.size() + 8) {
          // A longer id that starts with this one and a NUL: the next conversation.
          break;
        }
        history.last_sequence = read_sequence(std::string_view(key.data() + prefix.size(), 8));
        history.payloads.push_back(it->value().ToString());
      }
      visit(conv, history);
    }
    if (!it->status().ok() || !snaps->status().ok()) {
      return fail("reading the journal at " + cfg_.path + ": "
                  + (it->status().ok() ? snaps->status() : it->status()).ToString());
    }
    db_->ReleaseSnapshot(view);
    return {};
  }

  result<conversation_history> history_since_snapshot(const std::string& conv) override {
    rocksdb::ReadOptions options;
    const rocksdb::Snapshot* view = db_->GetSnapshot();
    options.snapshot = view;
    conversation_history history;
    const std::string prefix = conversation_prefix(conv);
    std::string row;
    const rocksdb::Status got = db_->Get(options, families_[snapshots], conv, &row);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, families_[events]));
    if (got.ok() && row.size() >= 8) {
      history.last_sequence = read_sequence(std::string_view(row.data(), 8));
      history.snapshot.emplace(row.substr(8));
      std::string after = prefix;
      append_sequence(after, history.last_sequence + 1);
      it->Seek(after);
    } else {
      it->Seek(prefix);
    }
    for (; it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8;
         it->Next()) {
      history.last_sequence = read_sequence(std::string_view(it->key().data() + prefix.size(), 8));
      history.payloads.push_back(it->value().ToString());
    }
    const rocksdb::Status status = !got.ok() && !got.IsNotFound() ? got : it->status();
    it.reset();
    db_->ReleaseSnapshot(view);
    if (!status.ok()) {
      return error{errc::journal_io, "reading conversation " + conv + ": " + status.ToString()};
    }
    return history;
  }

  std::vector<std::string> take_snapshot_candidates(std::size_t most) override {
    std::lock_guard<std::mutex> lock(candidates_mutex_);
    std::vector<std::string> out;
    while (!snapshot_candidates_.empty() && out.size() < most) {
      out.push_back(std::move(snapshot_candidates_.front()));
      snapshot_candidates_.pop_front();
    }
    return out;
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
    if (writable_.load()) {
      // Not after a failed write: the WAL writer is in its error state, and touching it
      // aborts Debian's RocksDB; what was acknowledged is on disk already.
      db_->FlushWAL(true);
    }
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
  /// Queues one item; under `mutex_`. Only the first item of an empty queue wakes the commit
  /// thread, which waits only on an empty queue: a wake-up per append was a futex call per
  /// append while the thread was still getting up.
  void enqueue(pending_append item) {
    const bool was_empty = queue_.empty();
    queue_.push_back(std::move(item));
    if (was_empty) {
      wake_.notify_one();
    }
  }

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

      if (!resume_if_failing()) {
        reject_group(group);
      } else if (cfg_.sync == sync_mode::always) {
        for (auto& item : group) {
          std::deque<pending_append> single;
          single.push_back(std::move(item));
          if (writable_.load(std::memory_order_relaxed)) {
            write_group(single);
          } else {
            reject_group(single);  // An earlier one of this group just failed.
          }
        }
      } else {
        write_group(group);
      }
      group.clear();
    }
  }

  /// After a failed write the journal writes nothing until RocksDB has resumed: its WAL
  /// writer is left in an error state, and Debian's RocksDB (built with assertions) aborts
  /// the process when that writer is used again. Asking at most twice a second is cheap; a
  /// resume while the disk is still full fails again (or is Busy while RocksDB recovers by
  /// itself). Returns whether writes may go ahead.
  bool resume_if_failing() {
    if (writable_.load(std::memory_order_relaxed)) {
      return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_resume_ < std::chrono::milliseconds{500}) {
      return false;
    }
    last_resume_ = now;
    const rocksdb::Status resumed = db_->Resume();
    if (resumed.ok()) {
      note_success();
      return true;
    }
    if (!resumed.IsBusy() && now - last_resume_warning_ > std::chrono::seconds{30}) {
      // RocksDB cannot resume by itself from every error (some WAL sync failures leave it
      // refusing for good). The journal stays consistent on disk; a restart recovers it.
      last_resume_warning_ = now;
      log(log_level::error, "journal_resume_failed path=" + cfg_.path + " error=\""
                                + resumed.ToString()
                                + "\" action=restart_the_server_once_the_disk_has_room");
    }
    return false;
  }

  /// Rejects a group unwritten while the journal cannot write.
  void reject_group(std::deque<pending_append>& group) {
    const std::string why = health().last_error;
    for (auto& item : group) {
      for (const auto& record : item.records) {
        if (!record.dedupe_id.empty()) {
          dedupe_.release(record.dedupe_id);
        }
      }
      item.done(result<void>{errc::unavailable, "journal write failed: " + why});
    }
  }

  void log(log_level level, const std::string& line) const {
    if (log_ != nullptr && log_->enabled(level)) {
      log_->write(level, component, line);
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
      if (!item.snapshot_conv.empty()) {
        batch.Put(families_[snapshots], item.snapshot_conv, item.snapshot);
      }
      if (!item.control_subject.empty()) {
        // The trail is keyed by the journal's sequence, so that it reads back in order.
        std::string key = control_log_prefix(item.control_subject);
        append_sequence(key, sequence++);
        batch.Put(families_[meta], key, item.control);
        batch.Put(families_[meta], control_state_key(item.control_subject), item.control);
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
    const auto started = std::chrono::steady_clock::now();
    const rocksdb::Status status = db_->Write(options, &batch);
    {
      std::lock_guard<std::mutex> lock(latency_mutex_);
      commit_latency_.record(std::chrono::steady_clock::now() - started);
    }

    result<void> outcome;
    if (status.ok()) {
      next_sequence_ = sequence;
      note_success();
    } else {
      outcome = io_error("journal write failed", status);
      writable_.store(false, std::memory_order_relaxed);
      note_failure(status.ToString());
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
      count_for_snapshots(group);
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
      batch.Delete(families_[snapshots], conv);
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

  /// Counts each conversation's records since its last snapshot in `tail_counts_`, a slot per
  /// hash of its id: 4 MiB for any number of conversations, not a map entry each. A slot
  /// that reaches `snapshot_records` names its conversation a candidate and starts again.
  void count_for_snapshots(const std::deque<pending_append>& group) {
    const std::size_t every = cfg_.snapshot_records;
    if (every == 0) {
      return;
    }
    for (const auto& item : group) {
      if (!item.snapshot_conv.empty()) {
        tail_counts_[slot_of(item.snapshot_conv)] = 0;
      }
      for (const auto& record : item.records) {
        if (record.conv.empty()) {
          continue;
        }
        auto& count = tail_counts_[slot_of(record.conv)];
        if (++count < every) {
          continue;
        }
        count = 0;
        std::lock_guard<std::mutex> lock(candidates_mutex_);
        if (snapshot_candidates_.size() < max_snapshot_candidates) {
          snapshot_candidates_.push_back(record.conv);
        }
      }
    }
  }

  static std::size_t slot_of(const std::string& conv) {
    return std::hash<std::string>{}(conv) % tail_slots;
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
  std::unique_ptr<rocksdb::Env> env_;  ///< Outlives db_: the fault-injecting one in tests.
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  std::uint64_t next_sequence_;  ///< Touched only by the commit thread after start.
  dedupe_index dedupe_;

  static constexpr std::size_t tail_slots = 1 << 20;
  static constexpr std::size_t max_snapshot_candidates = 100'000;
  /// Records since the last snapshot per slot; the commit thread's only.
  std::vector<std::uint32_t> tail_counts_ = std::vector<std::uint32_t>(tail_slots, 0);
  std::mutex candidates_mutex_;
  std::deque<std::string> snapshot_candidates_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending_append> queue_;
  bool stopping_ = false;
  std::thread commit_thread_;

  log_sink* log_ = nullptr;
  /// Where RocksDB's background-error listener finds this journal.
  std::shared_ptr<std::atomic<rocksdb_journal*>> listener_slot_;
  /// Mirrors health_.writable for the commit thread's cheap checks.
  std::atomic<bool> writable_{true};
  std::chrono::steady_clock::time_point last_resume_;          ///< Commit thread only.
  std::chrono::steady_clock::time_point last_resume_warning_;  ///< Commit thread only.
  mutable std::mutex latency_mutex_;
  latency_histogram commit_latency_;  ///< Under latency_mutex_.
  mutable std::mutex health_mutex_;
  journal_health health_;

  std::thread dedupe_loader_;
  std::mutex loading_mutex_;
  std::condition_variable loaded_;
  std::atomic<bool> dedupe_ready_{false};
  result<void> dedupe_outcome_;  ///< Guarded by loading_mutex_; set once, with dedupe_ready_.
};

}  // namespace

result<std::unique_ptr<journal>> open_rocksdb_journal(const journal_config& cfg,
                                                      journal_options journal_opts) {
  // Made here, parents and all, not by RocksDB: its diagnostic log opens inside it first.
  std::error_code made;
  std::filesystem::create_directories(cfg.path, made);
  if (made) {
    return error{errc::journal_io,
                 "creating the journal directory " + cfg.path + ": " + made.message()};
  }
  rocksdb::Options options;
  options.info_log = std::make_shared<rocksdb_diagnostic_log>(cfg.path, journal_opts.log);
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // After a crash the last WAL record may be torn; anything worse must stop the start-up
  // rather than silently drop acknowledged events (see ENVIRONMENT.md).
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  std::unique_ptr<rocksdb::Env> env;
  if (journal_opts.faults != nullptr) {
    env = rocksdb::NewCompositeEnv(std::make_shared<faulty_file_system>(*journal_opts.faults));
    options.env = env.get();
  }
  // Set once the journal exists; RocksDB may report an error while opening already.
  auto journal_slot = std::make_shared<std::atomic<rocksdb_journal*>>(nullptr);
  options.listeners.push_back(
      std::make_shared<background_errors>([journal_slot](const std::string& why) {
        if (rocksdb_journal* j = journal_slot->load()) {
          j->note_failure("background: " + why);
        }
      }));

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

  auto journal_impl = std::make_unique<rocksdb_journal>(
      cfg, std::move(env), std::move(db), std::move(handles), next_sequence, journal_opts.log);
  journal_slot->store(journal_impl.get());
  journal_impl->listen_through(journal_slot);
  journal_impl->start_loading_dedupe();
  return std::unique_ptr<journal>(std::move(journal_impl));
}

}  // namespace blendroute::persist
