// A conversation rebuilt from its journaled inputs is the conversation it was, with its
// pending work (timers, bot request, offer, queue entry) ready to be re-established.
#include "core/conversation_rebuild.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

/// Drives a live conversation as the conversation actor does and keeps what the actor would
/// journal, so that a rebuild can apply the same inputs again.
class ConversationRebuildTest : public ::testing::Test {
protected:
  ConversationRebuildTest() : cfg_(default_config()), standard_(*cfg_.find_tier("standard")) {}

  std::vector<effect> customer(std::string text) {
    ingress_event e;
    e.type = event_type::customer_message;
    e.id = "m" + std::to_string(++ids_);
    e.conv = "c1";
    e.text = std::move(text);
    e.customer = "cust-1";
    e.channel = "webchat";
    return event(e);
  }

  std::vector<effect> bot(bot_outcome outcome) {
    ingress_event e;
    e.type = event_type::bot_reply;
    e.id = "b" + std::to_string(++ids_);
    e.conv = "c1";
    e.text = "bot says";
    e.outcome = outcome;
    e.intent = "card_fraud";
    return event(e);
  }

  std::vector<effect> agent(event_type type, const std::string& agent_id) {
    ingress_event e;
    e.type = type;
    e.id = "a" + std::to_string(++ids_);
    e.conv = "c1";
    e.agent = agent_id;
    e.offer = live_.offer_id();
    e.text = "agent says";
    e.disposition = "resolved";
    return event(e);
  }

  std::vector<effect> event(const ingress_event& e) {
    EXPECT_TRUE(live_.check(e).ok());
    journaled_input input{e, now_, live_.opened() ? std::string{} : std::string("standard")};
    journal_.push_back(std::move(input));
    return live_.apply(e, standard_, now_);
  }

  std::vector<effect> offer(const std::string& agent_id, const std::string& offer_id) {
    journal_.push_back({offer_input{agent_id, offer_id}, now_, {}});
    return live_.offer_made(agent_id, offer_id, standard_, now_);
  }

  std::vector<effect> fire(const effect& timer) {
    now_ = timer.at;
    journal_.push_back({timer_input{timer.sla, timer.deadline, timer.level}, now_, {}});
    return live_.fire_sla(timer.sla, timer.deadline, timer.level, standard_, now_);
  }

  conversation_rebuild rebuild() const {
    conversation_rebuild rebuilt("c1");
    for (const auto& input : journal_) {
      rebuilt.apply(input, cfg_);
    }
    return rebuilt;
  }

  static const effect* find(const std::vector<effect>& effects, effect::kind what) {
    auto it = std::find_if(effects.begin(), effects.end(),
                           [&](const effect& e) { return e.what == what; });
    return it == effects.end() ? nullptr : &*it;
  }

  static const effect* timer(const std::vector<effect>& effects, sla_kind sla) {
    auto it = std::find_if(effects.begin(), effects.end(), [&](const effect& e) {
      return e.what == effect::kind::arm_timer && e.sla == sla;
    });
    return it == effects.end() ? nullptr : &*it;
  }

  config cfg_;
  tier_policy standard_;
  conversation live_{"c1"};
  std::vector<journaled_input> journal_;
  time_point now_ = from_unix_ms(1'700'000'000'000);
  int ids_ = 0;
};

TEST_F(ConversationRebuildTest, TheRebuiltConversationHasTheLiveOnesStateOwnerAndCounters) {
  customer("hello");
  now_ += seconds{2};
  bot(bot_outcome::continue_turn);
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  offer("agent-7", "o1");
  now_ += seconds{3};
  agent(event_type::agent_accept, "agent-7");
  agent(event_type::agent_reply, "agent-7");

  EXPECT_TRUE(rebuild().problems().empty());
  conversation rebuilt = rebuild().take();
  EXPECT_EQ(rebuilt.state(), conversation_state::agent);
  EXPECT_EQ(rebuilt.owner_agent(), "agent-7");
  EXPECT_EQ(rebuilt.tier(), "standard");
  EXPECT_EQ(rebuilt.bot_turns(), live_.bot_turns());
  EXPECT_EQ(rebuilt.intent(), "card_fraud");
  EXPECT_EQ(rebuilt.transcript().size(), live_.transcript().size());
  EXPECT_EQ(rebuilt.opened_at(), live_.opened_at());

  // The next delivery of each gets the same id: receivers recognise a re-sent delivery.
  ingress_event next;
  next.type = event_type::customer_message;
  next.id = "after";
  next.conv = "c1";
  next.text = "thanks";
  next.customer = "cust-1";
  next.channel = "webchat";
  auto live_effects = live_.apply(next, standard_, now_);
  auto rebuilt_effects = rebuilt.apply(next, standard_, now_);
  const effect* live_forward = find(live_effects, effect::kind::to_agent);
  const effect* rebuilt_forward = find(rebuilt_effects, effect::kind::to_agent);
  ASSERT_NE(live_forward, nullptr);
  ASSERT_NE(rebuilt_forward, nullptr);
  EXPECT_EQ(rebuilt_forward->frame.delivery, live_forward->frame.delivery);
}

TEST_F(ConversationRebuildTest, AQueuedConversationResumesWithItsPlaceAndItsHumanResponseClock) {
  customer("my card was stolen");
  const time_point escalated_at = now_ + seconds{1};
  now_ = escalated_at;
  auto handoff = bot(bot_outcome::handoff);
  const effect* live_clock = timer(handoff, sla_kind::human_response);
  ASSERT_NE(live_clock, nullptr);
  now_ += seconds{5};  // Journaled much later: the wait counts from the escalation.

  auto pending = rebuild().pending();
  const effect* request = find(pending, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  ASSERT_TRUE(request->waiting_since.has_value());
  EXPECT_EQ(*request->waiting_since, escalated_at);
  EXPECT_EQ(request->tier, "standard");
  const effect* clock = timer(pending, sla_kind::human_response);
  ASSERT_NE(clock, nullptr);
  EXPECT_EQ(clock->deadline, live_clock->deadline);
  EXPECT_EQ(clock->at, live_clock->at);
  EXPECT_EQ(find(pending, effect::kind::to_bot), nullptr) << "the bot has let go";
}

TEST_F(ConversationRebuildTest, AnOpenOfferIsResentWithItsOfferIdAndItsAgentHoldsIt) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  auto offered = offer("agent-7", "o42");
  const effect* live_offer = find(offered, effect::kind::to_agent);
  ASSERT_NE(live_offer, nullptr);

  conversation_rebuild rebuilt = rebuild();
  EXPECT_EQ(rebuilt.holding_agent(), "agent-7");
  auto pending = rebuilt.pending();
  const effect* resent = find(pending, effect::kind::to_agent);
  ASSERT_NE(resent, nullptr);
  EXPECT_EQ(resent->agent, "agent-7");
  EXPECT_EQ(resent->frame.offer, "o42");
  EXPECT_EQ(resent->frame.delivery, live_offer->frame.delivery);
  EXPECT_NE(timer(pending, sla_kind::offer_accept), nullptr);
  EXPECT_EQ(find(pending, effect::kind::enqueue), nullptr) << "an offered conversation is held";
}

TEST_F(ConversationRebuildTest, OnlyAnUnansweredBotRequestIsResent) {
  auto opened = customer("hello");
  const effect* live_request = find(opened, effect::kind::to_bot);
  ASSERT_NE(live_request, nullptr);
  auto pending = rebuild().pending();
  const effect* resent = find(pending, effect::kind::to_bot);
  ASSERT_NE(resent, nullptr);
  EXPECT_EQ(resent->frame.delivery, live_request->frame.delivery);

  bot(bot_outcome::continue_turn);
  EXPECT_EQ(find(rebuild().pending(), effect::kind::to_bot), nullptr);
}

TEST_F(ConversationRebuildTest, ABreachedSlaResumesAtTheNextStepOfItsEscalationMatrix) {
  customer("my card was stolen");
  auto handoff = bot(bot_outcome::handoff);
  const effect* first = timer(handoff, sla_kind::human_response);
  ASSERT_NE(first, nullptr);
  auto breached = fire(*first);
  const effect* next_step = timer(breached, sla_kind::human_response);
  ASSERT_NE(next_step, nullptr) << "the default matrix has a second human_response step";

  auto pending = rebuild().pending();
  const effect* resumed = timer(pending, sla_kind::human_response);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->level, next_step->level);
  EXPECT_EQ(resumed->at, next_step->at);
  EXPECT_EQ(resumed->deadline, first->deadline);
}

TEST_F(ConversationRebuildTest, AMessageAfterTheResumeWindowContinuesTheHistoryAsLive) {
  customer("hello");
  bot(bot_outcome::resolved);
  ASSERT_EQ(live_.state(), conversation_state::resolved);
  // Live, the actor was passivated by now; the message restores it from the journal and
  // starts a follow-up episode on it.
  now_ += standard_.resume_window + seconds{1};
  auto reopened = customer("hello again");

  conversation rebuilt = rebuild().take();
  EXPECT_EQ(rebuilt.state(), conversation_state::bot);
  EXPECT_EQ(rebuilt.episode(), 1);
  EXPECT_EQ(rebuilt.episode(), live_.episode());
  EXPECT_EQ(rebuilt.transcript().size(), live_.transcript().size());
  // The next delivery id is the same either way.
  const effect* request = find(reopened, effect::kind::to_bot);
  ASSERT_NE(request, nullptr);
  auto pending = rebuild().pending();
  const effect* resent = find(pending, effect::kind::to_bot);
  ASSERT_NE(resent, nullptr);
  EXPECT_EQ(resent->frame.delivery, request->frame.delivery);
}

TEST_F(ConversationRebuildTest, DeliveriesNotAcknowledgedAreSentAgainAndAcknowledgedOnesAreNot) {
  customer("what is the weather");
  auto replied = bot(bot_outcome::continue_turn);
  customer("and tomorrow?");
  auto second = bot(bot_outcome::continue_turn);
  const effect* first_reply = find(replied, effect::kind::to_gateway);
  const effect* second_reply = find(second, effect::kind::to_gateway);
  ASSERT_NE(first_reply, nullptr);
  ASSERT_NE(second_reply, nullptr);
  ingress_event ack;
  ack.type = event_type::delivery_ack;
  ack.id = "ack-1";
  ack.delivery = first_reply->frame.delivery;
  journal_.push_back({ack, now_, {}});

  auto pending = rebuild().pending();
  std::vector<std::string> resent;
  for (const auto& e : pending) {
    if (e.what == effect::kind::to_gateway) {
      resent.push_back(e.frame.delivery);
    }
  }
  EXPECT_EQ(resent, std::vector<std::string>{second_reply->frame.delivery});
}

TEST_F(ConversationRebuildTest, AJournaledInputTheStateRefusesIsReportedAndSkipped) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  offer("agent-7", "o1");
  // A damaged journal: an accept by an agent who was never offered the conversation.
  ingress_event intruder;
  intruder.type = event_type::agent_accept;
  intruder.id = "forged";
  intruder.conv = "c1";
  intruder.agent = "agent-9";
  intruder.offer = "o1";
  journal_.push_back({intruder, now_, {}});

  conversation_rebuild rebuilt = rebuild();
  ASSERT_EQ(rebuilt.problems().size(), 1u);
  EXPECT_NE(rebuilt.problems()[0].find("record 4: agent.accept forged refused"), std::string::npos)
      << rebuilt.problems()[0];
  EXPECT_EQ(rebuilt.conv().state(), conversation_state::offered);
  EXPECT_EQ(rebuilt.holding_agent(), "agent-7");
}

TEST_F(ConversationRebuildTest, ABreachJournaledBeforeAnSlaChangeStillAppliesAfterIt) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  auto offered = offer("agent-7", "o1");
  const effect* expiry = timer(offered, sla_kind::offer_accept);
  ASSERT_NE(expiry, nullptr);
  fire(*expiry);
  ASSERT_EQ(live_.state(), conversation_state::queued) << "the offer expired";

  // The operator doubled offer_accept before the restart.
  for (auto& tier : cfg_.tiers) {
    tier.offer_accept *= 2;
  }
  conversation_rebuild rebuilt = rebuild();
  EXPECT_TRUE(rebuilt.problems().empty()) << rebuilt.problems().front();
  EXPECT_EQ(rebuilt.conv().state(), conversation_state::queued);
  EXPECT_EQ(rebuilt.holding_agent(), "");
}

TEST_F(ConversationRebuildTest, AnAcceptInTimeStaysAppliedAfterOfferAcceptIsShortened) {
  customer("my card was stolen");
  bot(bot_outcome::handoff);
  offer("agent-7", "o1");
  now_ += standard_.offer_accept - seconds{3};  // In time under the live setting.
  agent(event_type::agent_accept, "agent-7");
  ASSERT_EQ(live_.state(), conversation_state::agent);

  // The operator shortened offer_accept below the time that accept took, then restarted.
  for (auto& tier : cfg_.tiers) {
    tier.offer_accept = standard_.offer_accept / 2;
  }
  conversation_rebuild rebuilt = rebuild();
  EXPECT_TRUE(rebuilt.problems().empty()) << rebuilt.problems().front();
  EXPECT_EQ(rebuilt.conv().state(), conversation_state::agent);
  EXPECT_EQ(rebuilt.conv().owner_agent(), "agent-7");
}

}  // namespace
}  // namespace blendroute
