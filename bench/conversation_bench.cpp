// The cost of one state-machine step: a customer message and the bot's reply.
#include <benchmark/benchmark.h>

#include "core/conversation.hpp"

namespace blendroute {
namespace {

ingress_event make_event(event_type type, const std::string& conv, std::string text) {
  ingress_event e;
  e.type = type;
  e.id = "bench-event";
  e.conv = conv;
  e.text = std::move(text);
  e.outcome = bot_outcome::continue_turn;
  return e;
}

/// A customer message and a `continue` bot reply on an open conversation, per iteration.
void BM_Conversation_CustomerMessageAndBotReply(benchmark::State& state) {
  const config cfg = default_config();
  tier_policy tier = *cfg.find_tier("standard");
  tier.bot_max_turns = 1 << 30;  // Stay with the bot for the whole run.
  conversation conv("bench-conv");
  time_point now = from_unix_ms(1'700'000'000'000);
  const ingress_event message =
      make_event(event_type::customer_message, "bench-conv", "I want to book a table for two");
  const ingress_event reply =
      make_event(event_type::bot_reply, "bench-conv", "Which restaurant would you like?");

  for (auto _ : state) {
    auto effects = conv.apply(message, tier, now);
    benchmark::DoNotOptimize(effects);
    auto more = conv.apply(reply, tier, now);
    benchmark::DoNotOptimize(more);
    now += duration{1};
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

BENCHMARK(BM_Conversation_CustomerMessageAndBotReply);

/// Opening a conversation through to its escalation (bot handoff).
void BM_Conversation_OpenAndEscalate(benchmark::State& state) {
  const config cfg = default_config();
  const tier_policy& tier = *cfg.find_tier("standard");
  time_point now = from_unix_ms(1'700'000'000'000);
  ingress_event message = make_event(event_type::customer_message, "c", "fraud on my card");
  ingress_event handoff = make_event(event_type::bot_reply, "c", "Connecting you.");
  handoff.outcome = bot_outcome::handoff;

  for (auto _ : state) {
    conversation conv("c");
    auto opened = conv.apply(message, tier, now);
    auto escalated = conv.apply(handoff, tier, now);
    benchmark::DoNotOptimize(opened);
    benchmark::DoNotOptimize(escalated);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Conversation_OpenAndEscalate);

}  // namespace
}  // namespace blendroute
