// Resident memory of conversation actors: what a million conversations cost.
#include <functional>
#include <vector>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/router_context.hpp"
#include "bench/resident_memory.hpp"

namespace blendroute::actors {
namespace {

using bench::resident_bytes;

/// Spawns `range(0)` actors with `spawn(system, ctx, i)` on a fresh two-thread actor system
/// and reports the resident memory they added, in all and per actor.
void measure_actors(
    benchmark::State& state,
    const std::function<caf::actor(caf::actor_system&, router_context&, std::size_t)>& spawn) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    caf::actor_system_config caf_cfg;
    caf_cfg.set("scheduler.policy", caf::atom("sharing"));
    caf_cfg.set("scheduler.max-threads", std::size_t{2});
    caf::actor_system system(caf_cfg);
    router_context ctx;
    ctx.cfg = std::make_shared<const config>(default_config());
    ctx.clock = [] {
      return from_unix_ms(1'700'000'000'000);
    };

    const std::size_t before = resident_bytes();
    std::vector<caf::actor> actors;
    actors.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      actors.push_back(spawn(system, ctx, i));
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

/// Conversation actors spawned and not yet opened. Opening a conversation adds its strings
/// and transcript on top.
void BM_ConversationActor_ResidentMemory(benchmark::State& state) {
  measure_actors(state, [](caf::actor_system& system, router_context& ctx, std::size_t i) {
    return spawn_conversation_actor(system, &ctx, "conv-" + std::to_string(i));
  });
}

/// Conversations really under way: opened by a customer message with attributes, answered
/// once by the bot (`continue`, with an intent), so each holds two transcript lines, its
/// findings and an armed SLA deadline.
void BM_OpenConversationActor_ResidentMemory(benchmark::State& state) {
  const config cfg = default_config();
  const tier_policy& standard = *cfg.find_tier("standard");
  const time_point now = from_unix_ms(1'700'000'000'000);
  measure_actors(state, [&](caf::actor_system& system, router_context& ctx, std::size_t i) {
    ingress_event message;
    message.type = event_type::customer_message;
    message.id = "m-" + std::to_string(i);
    message.conv = "conv-" + std::to_string(i);
    message.customer = "customer-" + std::to_string(i);
    message.channel = "webchat";
    message.attrs = {{"domain", "bank"}};
    message.text = "I need to report fraud on my card";
    ingress_event reply;
    reply.type = event_type::bot_reply;
    reply.conv = message.conv;
    reply.text = "When did you last use the card yourself?";
    reply.outcome = bot_outcome::continue_turn;
    reply.intent = "bank_fraud_report";
    reply.confidence = 0.8;
    conversation conv(message.conv);
    conv.apply(message, standard, now);
    conv.apply(reply, standard, now);
    return spawn_restored_conversation_actor(system, &ctx, std::move(conv), {});
  });
}

/// The floor: bare stateful actors with an empty state and one handler.
struct empty_state {
  static inline const char* name = "empty_actor";
};

caf::behavior empty_actor(caf::stateful_actor<empty_state>*) {
  return {[](int) {
  }};
}

void BM_BareStatefulActor_ResidentMemory(benchmark::State& state) {
  measure_actors(state, [](caf::actor_system& system, router_context&, std::size_t) {
    return system.spawn(empty_actor);
  });
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

BENCHMARK(BM_OpenConversationActor_ResidentMemory)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace blendroute::actors
