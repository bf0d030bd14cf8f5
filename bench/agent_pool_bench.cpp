// Agent selection at scale: offers out of a deep queue to a large pool of agents.
#include <benchmark/benchmark.h>

#include "core/agent_pool.hpp"

namespace blendroute {
namespace {

ingress_event available(const std::string& agent, int capacity) {
  ingress_event status;
  status.type = event_type::agent_status;
  status.agent = agent;
  status.presence = agent_presence::available;
  status.capacity = capacity;
  return status;
}

/// With `agents` agents all busy and `queued` conversations waiting, one agent frees a slot
/// and the pool makes the one offer that is now possible (the steady state of a busy
/// contact center).
void BM_AgentPool_OfferWhenASlotFrees(benchmark::State& state) {
  const auto agents = static_cast<int>(state.range(0));
  const auto queued = static_cast<int>(state.range(1));
  agent_pool pool("o");
  time_point now = from_unix_ms(1'700'000'000'000);
  for (int a = 0; a < agents; ++a) {
    pool.update_status(available("agent-" + std::to_string(a), 1), now);
  }
  for (int c = 0; c < agents + queued; ++c) {
    pool.enqueue({"conv-" + std::to_string(c),
                  c % 4 == 0 ? "priority" : "standard",
                  now,
                  {},
                  {},
                  {},
                  {},
                  {}},
                 false);
  }
  pool.set_tier_priority("priority", 10);
  auto first = pool.assign(now);  // Every agent now holds one conversation.
  std::vector<offer_decision> holding(first.begin(), first.end());
  int next_conv = agents + queued;

  std::size_t i = 0;
  for (auto _ : state) {
    offer_decision& freed = holding[i % holding.size()];
    now += duration{1};
    pool.release(freed.agent, freed.conv, now);
    auto offers = pool.assign(now);
    benchmark::DoNotOptimize(offers);
    if (!offers.empty()) {
      freed = offers.front();
    }
    // Keep the queue as deep as it was.
    pool.enqueue({"conv-" + std::to_string(next_conv++), "standard", now, {}, {}, {}, {}, {}},
                 false);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AgentPool_OfferWhenASlotFrees)
    ->Args({100, 1'000})
    ->Args({10'000, 100'000})
    ->Unit(benchmark::kMicrosecond);

/// A new escalation arriving while every agent is busy: it can only be queued.
void BM_AgentPool_EscalationWhileAllBusy(benchmark::State& state) {
  const auto agents = static_cast<int>(state.range(0));
  agent_pool pool("o");
  time_point now = from_unix_ms(1'700'000'000'000);
  for (int a = 0; a < agents; ++a) {
    pool.update_status(available("agent-" + std::to_string(a), 1), now);
    pool.enqueue({"busy-" + std::to_string(a), "standard", now, {}, {}, {}, {}, {}}, false);
  }
  pool.assign(now);
  int next_conv = 0;
  for (auto _ : state) {
    pool.enqueue({"conv-" + std::to_string(next_conv++), "standard", now, {}, {}, {}, {}, {}},
                 false);
    auto offers = pool.assign(now);
    benchmark::DoNotOptimize(offers);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AgentPool_EscalationWhileAllBusy)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace blendroute
