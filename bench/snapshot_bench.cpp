// What a snapshot saves recovery: a long conversation rebuilt from its whole journal, against
// the same conversation decoded from its snapshot.
#include <benchmark/benchmark.h>

#include "actors/journal_codec.hpp"
#include "actors/recovery.hpp"
#include "core/conversation_snapshot.hpp"

namespace blendroute::actors {
namespace {

/// The journal of one conversation with an agent: opened, handed off, offered, accepted,
/// then `exchanges` customer messages each answered by the agent; about 2 records each.
std::vector<std::string> long_conversation(std::size_t exchanges, const config& cfg) {
  const tier_policy& standard = *cfg.find_tier("standard");
  conversation live("long");
  std::vector<std::string> journal;
  time_point now{std::chrono::seconds{1'700'000'000}};
  int ids = 0;
  auto event = [&](ingress_event e) {
    e.id = "e" + std::to_string(++ids);
    e.conv = "long";
    journal.push_back(journal_event(e, now, live.opened() ? std::string{} : "standard"));
    live.apply(e, standard, now);
    now += std::chrono::milliseconds{1500};
  };
  ingress_event message;
  message.type = event_type::customer_message;
  message.customer = "customer-1";
  message.channel = "webchat";
  message.text = "I need to report fraud on my card, it was used in a shop I never visited";
  event(message);
  ingress_event handoff;
  handoff.type = event_type::bot_reply;
  handoff.outcome = bot_outcome::handoff;
  handoff.text = "Let me get you a person.";
  handoff.intent = "card_fraud";
  event(handoff);
  journal.push_back(journal_offer("agent-1", "o1", now));
  live.offer_made("agent-1", "o1", standard, now);
  ingress_event accept;
  accept.type = event_type::agent_accept;
  accept.agent = "agent-1";
  accept.offer = "o1";
  event(accept);
  for (std::size_t i = 0; i < exchanges; ++i) {
    message.text = "Here is another detail about the payment, number " + std::to_string(i);
    event(message);
    ingress_event reply;
    reply.type = event_type::agent_reply;
    reply.agent = "agent-1";
    reply.text = "Thanks, noted. Could you also tell me when it happened?";
    event(reply);
  }
  return journal;
}

void BM_Rebuild_FromWholeJournal(benchmark::State& state) {
  const config cfg = default_config();
  const auto journal = long_conversation(static_cast<std::size_t>(state.range(0)), cfg);
  for (auto _ : state) {
    auto rebuild = rebuild_conversation("long", journal, cfg);
    benchmark::DoNotOptimize(rebuild);
  }
  state.counters["records"] = static_cast<double>(journal.size());
}

void BM_Rebuild_FromSnapshot(benchmark::State& state) {
  const config cfg = default_config();
  const auto journal = long_conversation(static_cast<std::size_t>(state.range(0)), cfg);
  const auto rebuilt = rebuild_conversation("long", journal, cfg);
  const std::string snapshot = encode_snapshot(*rebuilt);
  for (auto _ : state) {
    auto rebuild = rebuild_conversation_from_snapshot("long", snapshot, {}, cfg);
    benchmark::DoNotOptimize(rebuild);
  }
  state.counters["records"] = static_cast<double>(journal.size());
  state.counters["snapshot_bytes"] = static_cast<double>(snapshot.size());
}

BENCHMARK(BM_Rebuild_FromWholeJournal)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Rebuild_FromSnapshot)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace blendroute::actors
