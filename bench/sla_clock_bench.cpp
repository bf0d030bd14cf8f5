// The SLA clock: the cost of arming a timer, and how late breaches fire with a million armed.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "actors/sla_clock.hpp"

namespace blendroute::actors {
namespace {

time_point router_now() {
  return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
}

/// Arming one timer (a far deadline, so that none fires during the run).
void BM_SlaClock_Arm(benchmark::State& state) {
  sla_clock clock(router_now, [](const caf::actor_addr&, const timer_due&) {});
  const time_point far = router_now() + std::chrono::hours{1};
  timer_due due;
  for (auto _ : state) {
    clock.arm({}, due, far);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["armed"] = static_cast<double>(clock.armed());
}

BENCHMARK(BM_SlaClock_Arm);

/// Arming a timer and cancelling it, as a conversation does when the bot answers before its
/// bot_attempt deadline, with `range(0)` other timers armed (the heap's depth). Each pair is
/// timed on its own too, so that `slowest_us` shows any pause (a pass over the whole heap
/// would); that timing is part of the figure.
void BM_SlaClock_ArmAndCancel(benchmark::State& state) {
  sla_clock clock(router_now, [](const caf::actor_addr&, const timer_due&) {});
  const time_point far = router_now() + std::chrono::hours{1};
  timer_due due;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    clock.arm({}, due, far + duration{i});
  }
  std::chrono::steady_clock::duration slowest{0};
  for (auto _ : state) {
    const auto started = std::chrono::steady_clock::now();
    clock.cancel(clock.arm({}, due, far));
    slowest = std::max(slowest, std::chrono::steady_clock::now() - started);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["armed"] = static_cast<double>(clock.armed());
  state.counters["slowest_us"] = std::chrono::duration<double, std::micro>(slowest).count();
}

BENCHMARK(BM_SlaClock_ArmAndCancel)->Arg(0)->Arg(1'000'000);

/// Arms `range(0)` timers due over the next 5 s, then measures how late each one fires
/// (microseconds past its millisecond deadline). Reports p50, p99 and max lateness.
void BM_SlaClock_FireLatenessWithManyArmed(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::mutex mutex;
    std::vector<std::int64_t> late_us;
    late_us.reserve(count);
    std::atomic<std::size_t> fired{0};
    sla_clock clock(router_now, [&](const caf::actor_addr&, const timer_due& due) {
      const auto now = std::chrono::system_clock::now();
      const auto late = std::chrono::duration_cast<std::chrono::microseconds>(
                            now - std::chrono::system_clock::time_point(due.deadline))
                            .count();
      std::lock_guard<std::mutex> lock(mutex);
      late_us.push_back(late);
      fired.fetch_add(1, std::memory_order_relaxed);
    });
    const time_point start = router_now() + std::chrono::milliseconds{500};
    for (std::size_t i = 0; i < count; ++i) {
      timer_due due;
      due.deadline = start + duration{static_cast<std::int64_t>(i % 5000)};
      clock.arm({}, due, due.deadline);
    }
    // Bounded wait: the last deadline is 5.5 s away.
    for (int waited = 0; waited < 200 && fired.load() < count; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    clock.stop();

    std::sort(late_us.begin(), late_us.end());
    auto at = [&](double q) {
      return late_us.empty() ? 0.0
                             : static_cast<double>(late_us[static_cast<std::size_t>(
                                 q * static_cast<double>(late_us.size() - 1))]);
    };
    state.counters["fired"] = static_cast<double>(late_us.size());
    state.counters["late_p50_us"] = at(0.50);
    state.counters["late_p99_us"] = at(0.99);
    state.counters["late_max_us"] = late_us.empty() ? 0.0 : static_cast<double>(late_us.back());
  }
}

BENCHMARK(BM_SlaClock_FireLatenessWithManyArmed)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace blendroute::actors
