// What the actors journal reads back as the same input: recovery depends on it.
#include "actors/journal_codec.hpp"

#include <gtest/gtest.h>

namespace blendroute::actors {
namespace {

const time_point at = from_unix_ms(1'700'000'123'456);

ingress_event round_trip(const ingress_event& event, std::string_view routed_tier = {}) {
  auto decoded = decode_journal_payload(journal_event(event, at, routed_tier));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.err().message);
  if (!decoded.ok()) {
    return {};
  }
  EXPECT_EQ(decoded->at, at);
  EXPECT_EQ(decoded->routed_tier, routed_tier);
  const auto* read = std::get_if<ingress_event>(&decoded->what);
  EXPECT_NE(read, nullptr);
  return read != nullptr ? *read : ingress_event{};
}

TEST(JournalCodec, ACustomerMessageKeepsEveryFieldAndTheRoutedTier) {
  ingress_event message;
  message.type = event_type::customer_message;
  message.id = "m1";
  message.text = "Ma carte a été volée \"hier\"";
  message.customer = "cust-9";
  message.channel = "webchat";
  message.lang = "fr";
  message.attrs = {{"domain", "bank"}, {"plan", "gold"}};
  const ingress_event read = round_trip(message, "priority");
  EXPECT_EQ(read.type, event_type::customer_message);
  EXPECT_EQ(read.id, "m1");
  EXPECT_EQ(read.text, message.text);
  EXPECT_EQ(read.customer, "cust-9");
  EXPECT_EQ(read.channel, "webchat");
  EXPECT_EQ(read.lang, "fr");
  EXPECT_EQ(read.attrs, message.attrs);
}

TEST(JournalCodec, ABotReplyKeepsItsOutcomeIntentConfidenceSlotsAndSkills) {
  ingress_event reply;
  reply.type = event_type::bot_reply;
  reply.id = "b1";
  reply.text = "Let me get someone.";
  reply.outcome = bot_outcome::handoff;
  reply.intent = "card_fraud";
  reply.confidence = 0.25;
  reply.slots_json = R"({"card":"visa","amount":120})";
  reply.skills = {"fraud", "french"};
  const ingress_event read = round_trip(reply);
  EXPECT_EQ(read.outcome, bot_outcome::handoff);
  EXPECT_EQ(read.intent, "card_fraud");
  ASSERT_TRUE(read.confidence.has_value());
  EXPECT_DOUBLE_EQ(*read.confidence, 0.25);
  EXPECT_EQ(read.slots_json, reply.slots_json);
  EXPECT_EQ(read.skills, reply.skills);
}

TEST(JournalCodec, AgentEventsKeepTheirAgentOfferTargetsNoteAndStatus) {
  ingress_event transfer;
  transfer.type = event_type::agent_transfer;
  transfer.id = "t1";
  transfer.agent = "agent-1";
  transfer.to_skill = "billing";
  EXPECT_EQ(round_trip(transfer).to_skill, "billing");
  EXPECT_EQ(round_trip(transfer).agent, "agent-1");

  ingress_event passback;
  passback.type = event_type::agent_passback;
  passback.id = "p1";
  passback.agent = "agent-1";
  passback.note = "refund issued";
  EXPECT_EQ(round_trip(passback).note, "refund issued");

  ingress_event status;
  status.type = event_type::agent_status;
  status.id = "s1";
  status.agent = "agent-1";
  status.presence = agent_presence::away;
  status.capacity = 3;
  status.skills = {"billing"};
  const ingress_event read = round_trip(status);
  EXPECT_EQ(read.presence, agent_presence::away);
  EXPECT_EQ(read.capacity, 3);
  EXPECT_EQ(read.skills, status.skills);
}

TEST(JournalCodec, TheRoutersOwnInputsReadBack) {
  auto offer = decode_journal_payload(journal_offer("agent-2", "o7", at));
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(std::holds_alternative<offer_input>(offer->what));
  EXPECT_EQ(std::get<offer_input>(offer->what).offer, "o7");

  const time_point deadline = at - std::chrono::seconds{1};
  auto breach = decode_journal_payload(journal_breach(sla_kind::human_response, deadline, 2, at));
  ASSERT_TRUE(breach.ok());
  const auto& timer = std::get<timer_input>(breach->what);
  EXPECT_EQ(timer.sla, sla_kind::human_response);
  EXPECT_EQ(timer.deadline, deadline);
  EXPECT_EQ(timer.level, 2);

  auto idle = decode_journal_payload(journal_idle(deadline, 2, at));
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(std::get<idle_input>(idle->what).stage, 2);

  auto offline = decode_journal_payload(journal_agent_offline("agent-3", at));
  ASSERT_TRUE(offline.ok());
  EXPECT_EQ(std::get<offline_input>(offline->what).agent, "agent-3");

  auto full = decode_journal_payload(journal_queue_full("standard", at));
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(std::holds_alternative<queue_full_input>(full->what));
}

TEST(JournalCodec, ADamagedRecordIsAnErrorThatSaysWhatIsWrong) {
  EXPECT_FALSE(decode_journal_payload("{\"kind\":\"event\"").ok());
  auto unknown = decode_journal_payload(R"({"kind":"teleport","at":1})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.err().message.find("teleport"), std::string::npos);
  auto missing = decode_journal_payload(R"({"kind":"offer","at":1,"agent":"a"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.err().message.find("offer"), std::string::npos);
}

}  // namespace
}  // namespace blendroute::actors
