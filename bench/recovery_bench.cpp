// Recovery of a million open conversations from the RocksDB journal, and how late their SLA
// breaches are acted on afterwards while the rest of the million timers stay armed.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include <benchmark/benchmark.h>

#include "actors/journal_codec.hpp"
#include "actors/router.hpp"
#include "bench/resident_memory.hpp"
#include "core/latency_histogram.hpp"
#include "persist/journal.hpp"

namespace blendroute::actors {
namespace {

using bench::resident_bytes;
using std::chrono::milliseconds;
using std::chrono::seconds;

time_point router_now() {
  return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
}

/// Takes the breaches the router announces and how late each was against its deadline; a
/// remote bot takes every bot request (and never answers, so the bot SLA breaches).
class breach_recorder final : public egress_sink {
public:
  /// Breaches due before `from` are counted but their lateness is not recorded.
  void record_lateness_from(time_point from) { count_from_ms_.store(unix_ms(from)); }

  bool send_to_bot(const egress_frame&) override { return true; }

  bool send_to_agent(const std::string&, const egress_frame&) override { return true; }

  bool send_to_gateway(const egress_frame&) override { return true; }

  void send_to_supervisors(const egress_frame& frame) override {
    if (frame.type != egress_type::sla_breach) {
      return;
    }
    const auto late =
        std::chrono::system_clock::now() - std::chrono::system_clock::time_point(frame.deadline);
    breaches_.fetch_add(1, std::memory_order_relaxed);
    if (unix_ms(frame.deadline) < count_from_ms_.load()) {
      return;  // Due while recovery was still running: not a steady-state figure.
    }
    std::lock_guard<std::mutex> lock(mutex_);
    lateness_.record(std::chrono::duration_cast<std::chrono::nanoseconds>(late));
  }

  std::size_t breaches() const { return breaches_.load(); }

  latency_histogram lateness() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lateness_;
  }

private:
  std::atomic<std::int64_t> count_from_ms_{std::numeric_limits<std::int64_t>::max()};
  std::atomic<std::size_t> breaches_{0};
  mutable std::mutex mutex_;
  latency_histogram lateness_;
};

/// Journals `count` conversations, each opened by a customer message whose bot never
/// answered, so that their bot_attempt deadlines fall evenly over `spread` from `first`.
bool journal_open_conversations(persist::journal& journal, std::size_t count, time_point first,
                                duration spread, duration bot_attempt) {
  constexpr std::size_t per_append = 1000;
  std::vector<std::future<bool>> written;
  std::vector<persist::journal_record> batch;
  for (std::size_t i = 0; i < count; ++i) {
    ingress_event message;
    message.type = event_type::customer_message;
    message.id = "m-" + std::to_string(i);
    message.conv = "conv-" + std::to_string(i);
    message.customer = "customer-" + std::to_string(i);
    message.channel = "webchat";
    message.text = "I need to report fraud on my card";
    const time_point deadline = first
                                + duration{spread.count() * static_cast<std::int64_t>(i)
                                           / static_cast<std::int64_t>(count)};
    batch.push_back(
        {message.conv, "", message.id, journal_event(message, deadline - bot_attempt, "standard")});
    if (batch.size() == per_append || i + 1 == count) {
      auto done = std::make_shared<std::promise<bool>>();
      written.push_back(done->get_future());
      journal.append(std::move(batch), [done](const result<void>& r) { done->set_value(r.ok()); });
      batch.clear();
    }
  }
  bool ok = true;
  for (auto& w : written) {
    ok = w.get() && ok;
  }
  return ok;
}

/// `range(0)` open conversations are journaled (RocksDB, sync = batch), the journal is
/// closed, then reopened and recovered by a fresh router: the time and resident memory that
/// takes. Their bot_attempt deadlines fall evenly over 100 s starting 50 s after the
/// journal was written, once recovery is over (about 10,000 breaches a second for a
/// million); for 20 s the bench records how late each breach reaches the supervisors
/// (journaled first, as always) past its deadline, while the rest of the timers stay armed.
void BM_Router_RecoveryAndBreachLateness(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const config defaults = default_config();
  const duration bot_attempt = defaults.find_tier("standard")->bot_attempt;
  for (auto _ : state) {
    journal_config journal_cfg;
    journal_cfg.path = (std::filesystem::temp_directory_path()
                        / ("blendroute-recovery-bench-" + std::to_string(getpid())))
                           .string();
    std::filesystem::remove_all(journal_cfg.path);
    const time_point first_deadline = router_now() + seconds{50};
    {
      auto journal = persist::open_rocksdb_journal(journal_cfg);
      if (!journal) {
        state.SkipWithError(journal.err().message.c_str());
        return;
      }
      if (!journal_open_conversations(**journal, count, first_deadline, seconds{100},
                                      bot_attempt)) {
        state.SkipWithError("writing the journal failed");
        return;
      }
      (*journal)->close();
    }

    const std::size_t resident_before = resident_bytes();
    const auto recovery_started = std::chrono::steady_clock::now();
    auto journal = persist::open_rocksdb_journal(journal_cfg);
    if (!journal) {
      state.SkipWithError(journal.err().message.c_str());
      return;
    }
    const auto journal_opened = std::chrono::steady_clock::now();
    breach_recorder supervisors;
    null_log_sink log;
    faq_bot no_rules({}, {"", "", bot_outcome::continue_turn, 0});
    auto router = router::start({std::make_shared<const config>(defaults), journal->get(),
                                 &supervisors, &no_rules, &log, router_now});
    auto report = router->recover();
    if (auto ready = (*journal)->wait_ready(); !ready) {
      state.SkipWithError(ready.err().message.c_str());
      return;
    }
    const auto recovery_took = std::chrono::steady_clock::now() - recovery_started;
    const std::size_t resident_after = resident_bytes();
    // Breaches due in the first second after recovery still count as recovery's; the
    // steady-state figure starts after it.
    supervisors.record_lateness_from(router_now() + seconds{1});
    if (!report) {
      state.SkipWithError(report.err().message.c_str());
      return;
    }

    // Bounded: 20 s of breaches.
    const time_point measure_until = first_deadline + seconds{20};
    while (router_now() < measure_until) {
      std::this_thread::sleep_for(milliseconds{100});
    }
    const latency_histogram lateness = supervisors.lateness();
    const std::size_t breaches = supervisors.breaches();
    router->stop();
    (*journal)->close();
    router.reset();
    journal->reset();
    std::filesystem::remove_all(journal_cfg.path);

    using ms = std::chrono::duration<double, std::milli>;
    state.counters["restored"] = static_cast<double>(report->restored);
    state.counters["recovery_s"] = std::chrono::duration<double>(recovery_took).count();
    state.counters["journal_open_s"] =
        std::chrono::duration<double>(journal_opened - recovery_started).count();
    state.counters["recovery_MiB"] =
        static_cast<double>(resident_after - resident_before) / (1 << 20);
    state.counters["breaches"] = static_cast<double>(breaches);
    state.counters["breaches_timed"] = static_cast<double>(lateness.count());
    state.counters["bot_timers_left"] = static_cast<double>(count - breaches);
    state.counters["late_p50_ms"] = ms(lateness.percentile(50)).count();
    state.counters["late_p99_ms"] = ms(lateness.percentile(99)).count();
    state.counters["late_max_ms"] = ms(lateness.max()).count();
  }
}

BENCHMARK(BM_Router_RecoveryAndBreachLateness)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace blendroute::actors
