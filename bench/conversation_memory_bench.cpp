// Resident memory of idle conversation actors: what a million open conversations cost.
#include <unistd.h>

#include <fstream>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/router_context.hpp"

namespace blendroute::actors {
namespace {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// Spawns `range(0)` conversation actors (not yet opened) and reports the resident memory
/// they added, per actor. Opening a conversation adds its strings and transcript on top.
void BM_ConversationActor_ResidentMemory(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    caf::actor_system_config cfg;
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", std::size_t{2});
    caf::actor_system system(cfg);
    router_context ctx;
    ctx.cfg = std::make_shared<const config>(default_config());

    const std::size_t before = resident_bytes();
    std::vector<caf::actor> actors;
    actors.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      actors.push_back(spawn_conversation_actor(system, &ctx, "conv-" + std::to_string(i)));
    }
    const std::size_t after = resident_bytes();
    state.counters["actors"] = static_cast<double>(count);
    state.counters["resident_MiB"] = static_cast<double>(after - before) / (1 << 20);
    state.counters["bytes_per_actor"] =
        static_cast<double>(after - before) / static_cast<double>(count);

    for (auto& a : actors) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    actors.clear();
    system.await_all_actors_done();
  }
}

/// The floor: the same number of bare stateful actors with an empty state.
struct empty_state {
  static inline const char* name = "empty_actor";
};

caf::behavior empty_actor(caf::stateful_actor<empty_state>*) {
  return {[](int) {
  }};
}

void BM_BareStatefulActor_ResidentMemory(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    caf::actor_system_config cfg;
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", std::size_t{2});
    caf::actor_system system(cfg);
    const std::size_t before = resident_bytes();
    std::vector<caf::actor> actors;
    actors.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      actors.push_back(system.spawn(empty_actor));
    }
    const std::size_t after = resident_bytes();
    state.counters["bytes_per_actor"] =
        static_cast<double>(after - before) / static_cast<double>(count);
    for (auto& a : actors) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    actors.clear();
    system.await_all_actors_done();
  }
}

BENCHMARK(BM_BareStatefulActor_ResidentMemory)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_ConversationActor_ResidentMemory)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace blendroute::actors
