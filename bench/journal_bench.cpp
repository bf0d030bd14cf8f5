// The RocksDB journal alone: events/s through group commit for each journal.sync setting.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include "persist/journal.hpp"

namespace blendroute::persist {
namespace {

/// Appends `range(1)` records of 200 B, one record per append as conversation actors make
/// them, with at most 20,000 appends waiting (a busy router's worth), under journal.sync =
/// none, batch or always (`range(0)` 0, 1, 2) and group commits of up to 1,000 records. Each
/// record first claims its ingress id, as an ingress event does. Compare with RocksDB's own
/// `db_bench --benchmarks=fillseq --value_size=200 --batch_size=1000 --sync=1` (see
/// docs/benchmarks.md).
void BM_Journal_Append(benchmark::State& state) {
  const auto sync = static_cast<sync_mode>(state.range(0));
  const auto count = static_cast<std::size_t>(state.range(1));
  const std::string payload(200, 'x');
  for (auto _ : state) {
    state.PauseTiming();
    journal_config cfg;
    cfg.sync = sync;
    cfg.max_batch_events = 1000;
    cfg.path = (std::filesystem::temp_directory_path()
                / ("blendroute-journal-bench-" + std::to_string(getpid())))
                   .string();
    std::filesystem::remove_all(cfg.path);
    auto journal = open_rocksdb_journal(cfg);
    if (!journal || !(*journal)->wait_ready()) {
      state.SkipWithError("cannot open the journal");
      return;
    }
    std::atomic<std::size_t> written{0};
    std::atomic<std::size_t> failed{0};
    state.ResumeTiming();

    constexpr std::size_t most_waiting = 20'000;
    for (std::size_t i = 0; i < count; ++i) {
      while (i - written.load(std::memory_order_relaxed) > most_waiting) {
        // As conversation actors do, wait without taking the commit thread's core.
        std::this_thread::sleep_for(std::chrono::microseconds{50});
      }
      journal_record record;
      record.conv = "conv-" + std::to_string(i % 100'000);
      record.dedupe_id = "event-" + std::to_string(i);
      // As the router does on the I/O thread before the event reaches its actor.
      (*journal)->claim(record.dedupe_id, [](bool) {});
      record.payload = payload;
      (*journal)->append({std::move(record)}, [&](const result<void>& r) {
        (r.ok() ? written : failed).fetch_add(1, std::memory_order_relaxed);
      });
    }
    while (written.load() + failed.load() < count) {
      std::this_thread::sleep_for(std::chrono::microseconds{50});
    }

    state.PauseTiming();
    (*journal)->close();
    journal->reset();
    std::filesystem::remove_all(cfg.path);
    if (failed.load() > 0) {
      state.SkipWithError("journal writes failed");
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  state.SetLabel(std::string(name(sync)));
}

BENCHMARK(BM_Journal_Append)
    ->Args({0, 1'000'000})
    ->Args({1, 1'000'000})
    ->Args({2, 20'000})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace blendroute::persist

namespace blendroute::persist {
namespace {

/// Reading one conversation's history (an actor restart, a returning customer) while the
/// memtable holds `range(0)` records of 100,000 conversations.
void BM_Journal_History(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  journal_config cfg;
  cfg.sync = sync_mode::none;
  cfg.path = (std::filesystem::temp_directory_path()
              / ("blendroute-history-bench-" + std::to_string(getpid())))
                 .string();
  std::filesystem::remove_all(cfg.path);
  auto journal = open_rocksdb_journal(cfg);
  if (!journal) {
    state.SkipWithError("cannot open the journal");
    return;
  }
  std::atomic<std::size_t> written{0};
  for (std::size_t i = 0; i < count; ++i) {
    journal_record record;
    record.conv = "conv-" + std::to_string(i % 100'000);
    record.payload = std::string(200, 'x');
    (*journal)->append({std::move(record)}, [&](const result<void>&) { ++written; });
  }
  while (written.load() < count) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto history = (*journal)->history("conv-" + std::to_string(i++ % 100'000));
    benchmark::DoNotOptimize(history);
  }
  (*journal)->close();
  journal->reset();
  std::filesystem::remove_all(cfg.path);
}

BENCHMARK(BM_Journal_History)->Arg(200'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace blendroute::persist
