// Every transition of DESIGN.md §2, driven with an injected clock.
#include "core/conversation.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ConversationTest : public ::testing::Test {
protected:
  ConversationTest() : cfg_(default_config()), standard_(*cfg_.find_tier("standard")) {}

  ingress_event customer(std::string text) {
    ingress_event e;
    e.type = event_type::customer_message;
    e.id = "m" + std::to_string(++ids_);
    e.conv = "c1";
    e.text = std::move(text);
    e.customer = "cust-1";
    e.channel = "webchat";
    return e;
  }

  ingress_event bot(bot_outcome outcome, std::string text = "bot says") {
    ingress_event e;
    e.type = event_type::bot_reply;
    e.id = "b" + std::to_string(++ids_);
    e.conv = "c1";
    e.text = std::move(text);
    e.outcome = outcome;
    return e;
  }

  ingress_event agent_event(event_type type, std::string agent) {
    ingress_event e;
    e.type = type;
    e.id = "a" + std::to_string(++ids_);
    e.conv = "c1";
    e.agent = std::move(agent);
    e.offer = conv_.offer_id();
    return e;
  }

  /// Checks, then applies, as the conversation actor does.
  std::vector<effect> step(const ingress_event& e) {
    auto allowed = conv_.check(e);
    EXPECT_TRUE(allowed.ok()) << (allowed.ok() ? "" : allowed.err().message);
    return conv_.apply(e, standard_, now_);
  }

  /// Opens the conversation and lets the bot hand it off; returns the effects of the handoff.
  std::vector<effect> escalated() {
    step(customer("hello"));
    return step(bot(bot_outcome::handoff));
  }

  /// Escalates and has agent `agent` accept.
  void owned_by(const std::string& agent) {
    escalated();
    conv_.offer_made(agent, "o1", standard_, now_);
    step(agent_event(event_type::agent_accept, agent));
  }

  static std::vector<std::string> states(const std::vector<effect>& effects) {
    std::vector<std::string> out;
    for (const auto& e : effects) {
      if (e.what == effect::kind::to_supervisors
          && e.frame.type == egress_type::conversation_state) {
        out.push_back(e.frame.state);
      }
    }
    return out;
  }

  static const effect* find(const std::vector<effect>& effects, effect::kind what,
                            egress_type type = egress_type::conversation_state) {
    for (const auto& e : effects) {
      const bool egress = e.what == effect::kind::to_bot || e.what == effect::kind::to_agent
                          || e.what == effect::kind::to_gateway
                          || e.what == effect::kind::to_supervisors;
      if (e.what == what && (!egress || e.frame.type == type)) {
        return &e;
      }
    }
    return nullptr;
  }

  config cfg_;
  tier_policy standard_;
  conversation conv_{"c1"};
  time_point now_ = from_unix_ms(1'700'000'000'000);
  int ids_ = 0;
};

TEST_F(ConversationTest, FirstCustomerMessageOpensInBotAndRequestsTheBot) {
  auto effects = step(customer("where is my ride?"));

  EXPECT_TRUE(conv_.opened());
  EXPECT_EQ(conv_.state(), conversation_state::bot);
  EXPECT_EQ(states(effects), std::vector<std::string>{"bot"});
  const effect* request = find(effects, effect::kind::to_bot, egress_type::bot_request);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->frame.turn, 1);
  EXPECT_EQ(request->frame.text, "where is my ride?");
  EXPECT_FALSE(request->frame.delivery.empty());
  const effect* timer = find(effects, effect::kind::arm_timer);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->sla, sla_kind::bot_attempt);
  EXPECT_EQ(timer->deadline, now_ + seconds{5});
}

TEST_F(ConversationTest, BotResolvedReplyResolvesAndDeliversToTheCustomer) {
  step(customer("what is the weather"));
  auto effects = step(bot(bot_outcome::resolved, "sunny"));

  EXPECT_EQ(conv_.state(), conversation_state::resolved);
  EXPECT_FALSE(conv_.ever_escalated());
  const effect* deliver = find(effects, effect::kind::to_gateway, egress_type::customer_deliver);
  ASSERT_NE(deliver, nullptr);
  EXPECT_EQ(deliver->frame.from, "bot");
  EXPECT_EQ(deliver->frame.text, "sunny");
  EXPECT_EQ(states(effects), std::vector<std::string>{"resolved"});
}

TEST_F(ConversationTest, BotHandoffQueuesAndAsksThePoolForAnAgent) {
  auto effects = escalated();

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_EQ(conv_.owner(), "queue:standard");
  EXPECT_NE(find(effects, effect::kind::enqueue), nullptr);
  const effect* timer = find(effects, effect::kind::arm_timer);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->sla, sla_kind::human_response);
  EXPECT_EQ(timer->deadline, now_ + seconds{60});
}

TEST_F(ConversationTest, EscalatesAsSoonAsTheNthBotReplyIsNotResolved) {
  for (int turn = 1; turn < standard_.bot_max_turns; ++turn) {
    step(customer("hm"));
    step(bot(bot_outcome::continue_turn));
    EXPECT_EQ(conv_.state(), conversation_state::bot) << "turn " << turn;
  }
  step(customer("still there?"));
  auto effects = step(bot(bot_outcome::continue_turn));

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* breach = find(effects, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.sla, "bot_max_turns");
  EXPECT_EQ(breach->frame.action, "escalate");
}

TEST_F(ConversationTest, BotAttemptBreachFiresExactlyAtTheDeadlineAndEscalates) {
  auto opened = step(customer("hello?"));
  const effect* timer = find(opened, effect::kind::arm_timer);
  ASSERT_NE(timer, nullptr);
  const time_point deadline = timer->deadline;

  ASSERT_TRUE(conv_.timer_is_current(sla_kind::bot_attempt, deadline));
  auto effects = conv_.fire_sla(sla_kind::bot_attempt, deadline, 1, standard_, deadline);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* breach = find(effects, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.sla, "bot_attempt");
  EXPECT_EQ(breach->frame.deadline, deadline);
  EXPECT_EQ(breach->frame.level, 1);
}

TEST_F(ConversationTest, BotReplyOneMillisecondBeforeTheDeadlineDisarmsTheTimer) {
  auto opened = step(customer("hello?"));
  const time_point deadline = find(opened, effect::kind::arm_timer)->deadline;
  now_ = deadline - milliseconds{1};
  step(bot(bot_outcome::continue_turn));

  EXPECT_FALSE(conv_.timer_is_current(sla_kind::bot_attempt, deadline));
  auto effects = conv_.fire_sla(sla_kind::bot_attempt, deadline, 1, standard_, deadline);
  EXPECT_TRUE(effects.empty());
  EXPECT_EQ(conv_.state(), conversation_state::bot);
}

TEST_F(ConversationTest, OfferMovesToOfferedAndSendsTheOfferWithContext) {
  escalated();
  auto effects = conv_.offer_made("ana", "o1", standard_, now_);

  EXPECT_EQ(conv_.state(), conversation_state::offered);
  EXPECT_EQ(conv_.owner(), "queue:standard");
  const effect* offer = find(effects, effect::kind::to_agent, egress_type::agent_offer);
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->agent, "ana");
  EXPECT_EQ(offer->frame.offer, "o1");
  EXPECT_EQ(offer->frame.expires_at, now_ + seconds{15});
}

TEST_F(ConversationTest, OfferToAConversationNoLongerQueuedReleasesTheAgent) {
  step(customer("hi"));
  auto effects = conv_.offer_made("ana", "o1", standard_, now_);

  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(effects[0].what, effect::kind::release_agent);
  EXPECT_EQ(conv_.state(), conversation_state::bot);
}

TEST_F(ConversationTest, AcceptAssignsTheAgent) {
  escalated();
  conv_.offer_made("ana", "o1", standard_, now_);
  auto effects = step(agent_event(event_type::agent_accept, "ana"));

  EXPECT_EQ(conv_.state(), conversation_state::agent);
  EXPECT_EQ(conv_.owner(), "agent:ana");
  EXPECT_NE(find(effects, effect::kind::to_agent, egress_type::agent_assigned), nullptr);
}

TEST_F(ConversationTest, AcceptOfAnotherAgentsOfferIsStale) {
  escalated();
  conv_.offer_made("ana", "o1", standard_, now_);
  auto wrong_agent = agent_event(event_type::agent_accept, "bob");
  auto wrong_offer = agent_event(event_type::agent_accept, "ana");
  wrong_offer.offer = "o0";

  EXPECT_EQ(conv_.check(wrong_agent).err().code, errc::stale_offer);
  EXPECT_EQ(conv_.check(wrong_offer).err().code, errc::stale_offer);
}

TEST_F(ConversationTest, AcceptAfterTheOfferExpiredIsStale) {
  escalated();
  auto offered = conv_.offer_made("ana", "o1", standard_, now_);
  const time_point expires = find(offered, effect::kind::arm_timer)->deadline;
  auto accept = agent_event(event_type::agent_accept, "ana");
  auto expired = conv_.fire_sla(sla_kind::offer_accept, expires, 1, standard_, expires);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* revoked = find(expired, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "expired");
  const effect* requeue = find(expired, effect::kind::enqueue);
  ASSERT_NE(requeue, nullptr);
  EXPECT_TRUE(requeue->at_head);
  EXPECT_EQ(requeue->agent, "ana");  // Offered to ana again only when nobody else can take it.
  EXPECT_EQ(conv_.check(accept).err().code, errc::stale_offer);
}

TEST_F(ConversationTest, AnAcceptAtTheOfferDeadlineIsStaleEvenBeforeItsTimerFires) {
  escalated();
  auto offered = conv_.offer_made("ana", "o1", standard_, now_);
  const time_point expires = find(offered, effect::kind::arm_timer)->deadline;
  const auto accept = agent_event(event_type::agent_accept, "ana");
  const auto decline = agent_event(event_type::agent_decline, "ana");

  EXPECT_TRUE(conv_.check(accept).ok()) << "the offer is still the pending one";
  EXPECT_TRUE(conv_.check_offer_in_time(accept, expires - milliseconds{1}).ok());
  const auto late = conv_.check_offer_in_time(accept, expires);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.err().code, errc::stale_offer);
  EXPECT_EQ(conv_.check_offer_in_time(decline, expires).err().code, errc::stale_offer);
  EXPECT_EQ(conv_.state(), conversation_state::offered) << "the timer re-offers it, not the accept";
}

TEST_F(ConversationTest, DeclineRequeuesAtTheHeadExcludingTheDecliningAgent) {
  escalated();
  conv_.offer_made("ana", "o1", standard_, now_);
  auto effects = step(agent_event(event_type::agent_decline, "ana"));

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* requeue = find(effects, effect::kind::enqueue);
  ASSERT_NE(requeue, nullptr);
  EXPECT_TRUE(requeue->at_head);
  EXPECT_EQ(requeue->agent, "ana");
  EXPECT_NE(find(effects, effect::kind::release_agent), nullptr);
}

TEST_F(ConversationTest, AgentReplyReachesTheCustomerAndMeetsTheHumanResponseSla) {
  owned_by("ana");
  auto reply = agent_event(event_type::agent_reply, "ana");
  reply.text = "Hi, I'm Ana.";
  auto effects = step(reply);

  const effect* deliver = find(effects, effect::kind::to_gateway, egress_type::customer_deliver);
  ASSERT_NE(deliver, nullptr);
  EXPECT_EQ(deliver->frame.from, "agent");
  EXPECT_EQ(deliver->frame.agent, "ana");
  EXPECT_FALSE(conv_.timer_is_current(sla_kind::human_response, now_ + seconds{60}));
}

TEST_F(ConversationTest, CustomerMessageToAnOwnedConversationGoesToTheAgent) {
  owned_by("ana");
  auto effects = step(customer("are you there?"));

  const effect* message = find(effects, effect::kind::to_agent, egress_type::agent_message);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->agent, "ana");
  EXPECT_EQ(message->frame.text, "are you there?");
}

TEST_F(ConversationTest, OnlyTheOwningAgentMayAct) {
  owned_by("ana");
  auto reply = agent_event(event_type::agent_reply, "bob");
  EXPECT_EQ(conv_.check(reply).err().code, errc::not_owner);
  EXPECT_EQ(conv_.check(bot(bot_outcome::resolved)).err().code, errc::not_owner);
}

TEST_F(ConversationTest, TransferToASkillRevokesAndRequeuesCountingATransfer) {
  owned_by("ana");
  auto transfer = agent_event(event_type::agent_transfer, "ana");
  transfer.to_skill = "billing";
  auto effects = step(transfer);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_EQ(conv_.transfers(), 1);
  const effect* revoked = find(effects, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "transfer");
  const effect* requeue = find(effects, effect::kind::enqueue);
  ASSERT_NE(requeue, nullptr);
  EXPECT_EQ(requeue->skills, std::vector<std::string>{"billing"});
}

TEST_F(ConversationTest, TransferToASkillNobodyHasStaysQueuedAndTheOverflowStepFires) {
  standard_.escalation = {
      {sla_kind::human_response, duration{0}, escalation_action::notify, "supervisors"},
      {sla_kind::human_response, seconds{10}, escalation_action::overflow, "priority"},
  };
  owned_by("ana");
  auto reply = agent_event(event_type::agent_reply, "ana");
  reply.text = "Let me find a specialist.";
  step(reply);
  auto transfer = agent_event(event_type::agent_transfer, "ana");
  transfer.to_skill = "mortgages";
  auto effects = step(transfer);

  // The pool finds nobody with the skill, so the conversation stays queued and the
  // human-response clock, restarted by the transfer, runs out.
  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* timer = nullptr;
  for (const auto& e : effects) {
    if (e.what == effect::kind::arm_timer && e.sla == sla_kind::human_response) {
      timer = &e;
    }
  }
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->deadline, now_ + standard_.human_response);
  auto notified =
      conv_.fire_sla(sla_kind::human_response, timer->deadline, 1, standard_, timer->deadline);
  const effect* next = find(notified, effect::kind::arm_timer);
  ASSERT_NE(next, nullptr);
  auto overflowed =
      conv_.fire_sla(sla_kind::human_response, timer->deadline, 2, standard_, next->at);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_EQ(conv_.tier(), "priority");
  const effect* breach = find(overflowed, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.action, "overflow");
  EXPECT_EQ(breach->frame.level, 2);
  const effect* request = find(overflowed, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->tier, "priority");
  EXPECT_EQ(request->skills, std::vector<std::string>{"mortgages"});
}

TEST_F(ConversationTest, RelaxStepDropsTheLastRequiredSkill) {
  standard_.escalation = {
      {sla_kind::human_response, duration{0}, escalation_action::relax, ""},
  };
  step(customer("hola"));
  auto reply = bot(bot_outcome::handoff);
  reply.skills = {"billing", "spanish"};
  auto effects = step(reply);
  const time_point deadline = find(effects, effect::kind::arm_timer)->deadline;

  auto relaxed = conv_.fire_sla(sla_kind::human_response, deadline, 1, standard_, deadline);
  EXPECT_NE(find(relaxed, effect::kind::relax_skills), nullptr);
  EXPECT_EQ(conv_.context(now_, 0).skills, std::vector<std::string>{"billing"});
}

TEST_F(ConversationTest, TransferToAnAgentTargetsThatAgent) {
  owned_by("ana");
  auto transfer = agent_event(event_type::agent_transfer, "ana");
  transfer.to_agent = "bob";
  auto effects = step(transfer);

  const effect* requeue = find(effects, effect::kind::enqueue);
  ASSERT_NE(requeue, nullptr);
  EXPECT_EQ(requeue->target_agent, "bob");
}

TEST_F(ConversationTest, PassbackReturnsToTheBotWithTheNoteAndCanEscalateAgain) {
  owned_by("ana");
  auto passback = agent_event(event_type::agent_passback, "ana");
  passback.note = "identity verified";
  auto effects = step(passback);

  EXPECT_EQ(conv_.state(), conversation_state::bot);
  EXPECT_EQ(conv_.bot_turns(), 0);
  EXPECT_EQ(conv_.context(now_, 10).passback_note, "identity verified");
  const effect* revoked = find(effects, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "passback");

  step(customer("one more thing"));
  step(bot(bot_outcome::handoff));
  EXPECT_EQ(conv_.state(), conversation_state::queued);
}

TEST_F(ConversationTest, AgentResolveFreesTheAgent) {
  owned_by("ana");
  auto effects = step(agent_event(event_type::agent_resolve, "ana"));

  EXPECT_EQ(conv_.state(), conversation_state::resolved);
  const effect* release = find(effects, effect::kind::release_agent);
  ASSERT_NE(release, nullptr);
  EXPECT_EQ(release->agent, "ana");
}

TEST_F(ConversationTest, CustomerLeftAbandonsFromEveryOpenState) {
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "left";
  left.conv = "c1";

  step(customer("hi"));
  step(left);
  EXPECT_EQ(conv_.state(), conversation_state::abandoned);

  conversation queued("c1");
  std::swap(conv_, queued);
  escalated();
  auto effects = step(left);
  EXPECT_EQ(conv_.state(), conversation_state::abandoned);
  EXPECT_NE(find(effects, effect::kind::withdraw), nullptr);

  conversation owned("c1");
  std::swap(conv_, owned);
  owned_by("ana");
  effects = step(left);
  EXPECT_EQ(conv_.state(), conversation_state::abandoned);
  const effect* revoked = find(effects, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "customer_left");
}

TEST_F(ConversationTest, CloseClosesAndRevokesAnOffer) {
  escalated();
  conv_.offer_made("ana", "o1", standard_, now_);
  ingress_event close;
  close.type = event_type::conversation_close;
  close.id = "close";
  close.conv = "c1";
  auto effects = step(close);

  EXPECT_EQ(conv_.state(), conversation_state::closed);
  const effect* revoked = find(effects, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "closed");
}

TEST_F(ConversationTest, MessageInsideTheResumeWindowReopensTheSameConversation) {
  step(customer("weather?"));
  step(bot(bot_outcome::resolved));
  now_ += standard_.resume_window;
  auto effects = step(customer("and tomorrow?"));

  EXPECT_EQ(conv_.state(), conversation_state::bot);
  EXPECT_EQ(conv_.reopens(), 1);
  EXPECT_EQ(conv_.episode(), 0);
  EXPECT_EQ(states(effects), std::vector<std::string>{"bot"});
}

TEST_F(ConversationTest, ReturningCustomerGoesBackToTheAgentWhoResolved) {
  owned_by("ana");
  step(agent_event(event_type::agent_resolve, "ana"));
  now_ += seconds{30};
  auto effects = step(customer("one more question"));

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_EQ(conv_.reopens(), 1);
  EXPECT_EQ(states(effects), std::vector<std::string>{"queued"});
  const effect* request = find(effects, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->preferred_agent, "ana");
  EXPECT_EQ(request->at, now_ + standard_.return_to_agent);
  EXPECT_EQ(find(effects, effect::kind::to_bot, egress_type::bot_request), nullptr);
}

TEST_F(ConversationTest, MessageAfterTheResumeWindowStartsALinkedEpisode) {
  step(customer("weather?"));
  step(bot(bot_outcome::resolved));
  now_ += standard_.resume_window + milliseconds{1};
  step(customer("new question"));

  EXPECT_EQ(conv_.state(), conversation_state::bot);
  EXPECT_EQ(conv_.reopens(), 0);
  EXPECT_EQ(conv_.episode(), 1);
  EXPECT_EQ(conv_.opened_at(), now_);
}

TEST_F(ConversationTest, AFollowUpStaysInTheCohortItsConversationWasIn) {
  ingress_event first = customer("weather?");
  first.control_cohort = true;
  step(first);
  ASSERT_TRUE(conv_.control_cohort());
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "left-1";
  left.conv = "c1";
  step(left);
  ASSERT_EQ(conv_.state(), conversation_state::abandoned);
  step(customer("new question"));  // The router marks only a brand-new conversation.

  EXPECT_EQ(conv_.episode(), 1);
  EXPECT_TRUE(conv_.control_cohort());
}

TEST_F(ConversationTest, AFollowUpThatDoesNotNameTheCustomerKeepsTheOneItHad) {
  step(customer("weather?"));
  step(bot(bot_outcome::resolved));
  now_ += standard_.resume_window + milliseconds{1};
  ingress_event anonymous = customer("new question");
  anonymous.customer.clear();
  anonymous.channel.clear();
  step(anonymous);

  EXPECT_EQ(conv_.episode(), 1);
  EXPECT_EQ(conv_.customer(), "cust-1");
  EXPECT_EQ(conv_.channel(), "webchat");
}

/// The delivery id of the last bot request among `effects`.
std::string bot_request_delivery(const std::vector<effect>& effects) {
  for (auto e = effects.rbegin(); e != effects.rend(); ++e) {
    if (e->what == effect::kind::to_bot && e->frame.type == egress_type::bot_request) {
      return e->frame.delivery;
    }
  }
  return {};
}

TEST_F(ConversationTest, ALateBotReplyToAnAbandonedEpisodeIsRefusedAndTakesNoTurnOfTheNext) {
  const std::string first_request = bot_request_delivery(step(customer("hello")));
  ASSERT_FALSE(first_request.empty());
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "left";
  left.conv = "c1";
  step(left);
  // The customer comes back in the same millisecond, before the bot's answer to the first
  // request arrives.
  const std::string second_request = bot_request_delivery(step(customer("hello again")));
  ASSERT_FALSE(second_request.empty());
  EXPECT_NE(second_request, first_request);

  auto late = bot(bot_outcome::continue_turn);
  late.delivery = first_request;
  const auto refused = conv_.check(late);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().code, errc::not_owner);
  EXPECT_EQ(conv_.bot_turns(), 0);

  auto current = bot(bot_outcome::continue_turn);
  current.delivery = second_request;
  step(current);
  EXPECT_EQ(conv_.bot_turns(), 1);
}

TEST_F(ConversationTest, ABotReplyToARequestFromBeforeAPassbackIsRefused) {
  const std::string before = bot_request_delivery(step(customer("hello")));
  step(bot(bot_outcome::handoff));
  conv_.offer_made("ana", "o1", standard_, now_);
  step(agent_event(event_type::agent_accept, "ana"));
  step(agent_event(event_type::agent_passback, "ana"));
  ASSERT_EQ(conv_.state(), conversation_state::bot);

  auto late = bot(bot_outcome::continue_turn);
  late.delivery = before;
  EXPECT_FALSE(conv_.check(late).ok());
  // A delivery the conversation never sent, and another conversation's, are refused too.
  late.delivery = before + "9";
  EXPECT_FALSE(conv_.check(late).ok());
  late.delivery = "c2" + before.substr(2);
  EXPECT_FALSE(conv_.check(late).ok());

  const std::string after = bot_request_delivery(step(customer("one more thing")));
  auto current = bot(bot_outcome::continue_turn);
  current.delivery = after;
  EXPECT_TRUE(conv_.check(current).ok());
}

TEST_F(ConversationTest, AgentOfflineReturnsTheConversationToTheHeadOfItsQueue) {
  owned_by("ana");
  step(customer("context that must survive"));
  auto effects = conv_.agent_offline("ana", standard_, now_);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* requeue = find(effects, effect::kind::enqueue);
  ASSERT_NE(requeue, nullptr);
  EXPECT_TRUE(requeue->at_head);
  EXPECT_EQ(conv_.transcript().back().text, "context that must survive");
}

TEST_F(ConversationTest, ALongConversationKeepsItsNewestLinesInOrder) {
  standard_.bot_max_turns = 1000;
  step(customer("line 0"));
  const std::size_t kept = conversation::max_transcript_lines;
  for (std::size_t i = 1; i < kept + 13; ++i) {
    step(bot(bot_outcome::continue_turn, "reply " + std::to_string(i)));
    step(customer("line " + std::to_string(i)));
  }

  const auto lines = conv_.transcript();
  ASSERT_EQ(lines.size(), kept);
  EXPECT_EQ(lines.back().text, "line " + std::to_string(kept + 12));
  EXPECT_EQ(lines[lines.size() - 2].text, "reply " + std::to_string(kept + 12));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_LE(lines[i - 1].at, lines[i].at);
    EXPECT_NE(lines[i - 1].text, lines[i].text);
  }
  const auto context = conv_.context(now_, 3);
  ASSERT_EQ(context.transcript.size(), 3U);
  EXPECT_EQ(context.transcript[0].text, "line " + std::to_string(kept + 11));
  EXPECT_EQ(context.transcript[1].text, "reply " + std::to_string(kept + 12));
  EXPECT_EQ(context.transcript[2].text, "line " + std::to_string(kept + 12));
}

TEST_F(ConversationTest, AnOfferContextHoldsWhatTheAgentNeedsToTakeOver) {
  auto opening = customer("my card was stolen");
  opening.attrs = {{"domain", "bank"}, {"plan", "gold"}};
  step(opening);
  auto handoff = bot(bot_outcome::handoff, "Connecting you to an agent.");
  handoff.intent = "bank_fraud_report";
  handoff.confidence = 0.83;
  handoff.slots_json = R"({"card":"visa"})";
  step(handoff);
  now_ += seconds{7};
  conv_.offer_made("ana", "o1", standard_, now_);

  const conversation_context context = conv_.context(now_, 10);
  ASSERT_EQ(context.transcript.size(), 2U);
  EXPECT_EQ(context.transcript[0].speaker, "customer");
  EXPECT_EQ(context.transcript[0].text, "my card was stolen");
  EXPECT_EQ(context.transcript[1].speaker, "bot");
  EXPECT_EQ(context.transcript[1].text, "Connecting you to an agent.");
  EXPECT_EQ(context.attrs, opening.attrs);
  EXPECT_EQ(context.customer, "cust-1");
  EXPECT_EQ(context.channel, "webchat");
  EXPECT_EQ(context.intent, "bank_fraud_report");
  EXPECT_DOUBLE_EQ(context.confidence, 0.83);
  EXPECT_EQ(context.slots_json, R"({"card":"visa"})");
  EXPECT_EQ(context.bot_turns, 1);
  EXPECT_EQ(context.waited_ms, 7000);
  EXPECT_EQ(context.escalation_reason, "bot_handoff");
}

TEST_F(ConversationTest, HumanResponseBreachNotifiesThenRaisesPriority) {
  auto effects = escalated();
  const time_point deadline = find(effects, effect::kind::arm_timer)->deadline;

  auto first = conv_.fire_sla(sla_kind::human_response, deadline, 1, standard_, deadline);
  const effect* breach = find(first, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.action, "notify");
  const effect* next = find(first, effect::kind::arm_timer);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->level, 2);
  EXPECT_EQ(next->at, deadline + standard_.human_response / 2);

  auto second = conv_.fire_sla(sla_kind::human_response, deadline, 2, standard_, next->at);
  EXPECT_NE(find(second, effect::kind::raise_priority), nullptr);
  // The matrix is exhausted: the same breach is not announced again.
  EXPECT_FALSE(conv_.timer_is_current(sla_kind::human_response, deadline));
}

TEST_F(ConversationTest, IdleCustomerIsWarnedThenClosedAsAbandoned) {
  owned_by("ana");
  auto reply = agent_event(event_type::agent_reply, "ana");
  reply.text = "Anything else?";
  auto effects = step(reply);
  const effect* idle = find(effects, effect::kind::arm_idle_timer);
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->level, 1);
  EXPECT_EQ(idle->at, now_ + standard_.idle_warning);
  const time_point since = idle->deadline;

  auto warned = conv_.fire_idle(since, 1, standard_, idle->at);
  const effect* warning = find(warned, effect::kind::to_gateway, egress_type::customer_deliver);
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ(warning->frame.from, "router");
  EXPECT_EQ(conv_.state(), conversation_state::agent);
  const effect* close = find(warned, effect::kind::arm_idle_timer);
  ASSERT_NE(close, nullptr);
  EXPECT_EQ(close->at, since + standard_.idle_close);

  auto closed = conv_.fire_idle(since, 2, standard_, close->at);
  EXPECT_EQ(conv_.state(), conversation_state::abandoned);
  EXPECT_EQ(states(closed), std::vector<std::string>{"abandoned"});
  const effect* release = find(closed, effect::kind::release_agent);
  ASSERT_NE(release, nullptr);
  EXPECT_EQ(release->agent, "ana");
}

TEST_F(ConversationTest, CustomerWhoWritesAgainIsNotIdle) {
  step(customer("hm"));
  auto effects = step(bot(bot_outcome::continue_turn));
  const effect* idle = find(effects, effect::kind::arm_idle_timer);
  ASSERT_NE(idle, nullptr);
  step(customer("still here"));

  EXPECT_FALSE(conv_.idle_timer_is_current(idle->deadline));
  EXPECT_TRUE(conv_.fire_idle(idle->deadline, 1, standard_, idle->at).empty());
}

TEST_F(ConversationTest, QueuedCustomerIsNeverIdle) {
  auto effects = escalated();
  EXPECT_EQ(find(effects, effect::kind::arm_idle_timer), nullptr);
}

TEST_F(ConversationTest, FullQueueKeepsTheConversationWithTheBotAndTellsTheCustomer) {
  escalated();
  auto effects = conv_.queue_full(standard_, cfg_, now_);

  EXPECT_EQ(conv_.state(), conversation_state::bot);
  EXPECT_EQ(states(effects), std::vector<std::string>{"bot"});
  const effect* notice = find(effects, effect::kind::to_gateway, egress_type::customer_deliver);
  ASSERT_NE(notice, nullptr);
  EXPECT_EQ(notice->frame.from, "router");
  EXPECT_EQ(notice->frame.text, standard_.queue_full_text);
  EXPECT_FALSE(conv_.timer_is_current(sla_kind::human_response, now_ + seconds{60}));
}

TEST_F(ConversationTest, FullQueueOverflowsOnceToTheTargetTier) {
  standard_.when_queue_full = queue_full_action::overflow;
  standard_.queue_full_target = "priority";
  escalated();
  auto effects = conv_.queue_full(standard_, cfg_, now_);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_EQ(conv_.tier(), "priority");
  const effect* request = find(effects, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->tier, "priority");

  // The target is full too: no ping-pong between tiers, the bot keeps it.
  conv_.queue_full(*cfg_.find_tier("priority"), cfg_, now_);
  EXPECT_EQ(conv_.state(), conversation_state::bot);
}

TEST_F(ConversationTest, AgentEventForAnUnopenedConversationIsUnknown) {
  EXPECT_EQ(conv_.check(agent_event(event_type::agent_reply, "ana")).err().code,
            errc::unknown_conversation);
  EXPECT_EQ(conv_.check(bot(bot_outcome::resolved)).err().code, errc::unknown_conversation);
}

TEST_F(ConversationTest, AnExpiredOfferIsReofferedEvenWithoutAMatrixStep) {
  standard_.escalation.clear();
  escalated();
  auto offered = conv_.offer_made("alice", "o1", standard_, now_);
  const effect* expiry = find(offered, effect::kind::arm_timer);
  ASSERT_NE(expiry, nullptr);
  ASSERT_EQ(expiry->sla, sla_kind::offer_accept);

  auto expired =
      conv_.fire_sla(sla_kind::offer_accept, expiry->deadline, 1, standard_, expiry->deadline);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* breach = find(expired, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.action, "reoffer");
  const effect* revoked = find(expired, effect::kind::to_agent, egress_type::agent_revoked);
  ASSERT_NE(revoked, nullptr);
  EXPECT_EQ(revoked->frame.reason, "expired");
  const effect* request = find(expired, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->agent, "alice") << "the next offer goes to another agent first";
}

TEST_F(ConversationTest, ASilentBotGivesWayToAHumanEvenWithoutAMatrixStep) {
  standard_.escalation.clear();
  auto opened = step(customer("hello?"));
  const effect* timer = find(opened, effect::kind::arm_timer);
  ASSERT_NE(timer, nullptr);

  auto effects =
      conv_.fire_sla(sla_kind::bot_attempt, timer->deadline, 1, standard_, timer->deadline);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  EXPECT_NE(find(effects, effect::kind::enqueue), nullptr);
}

TEST_F(ConversationTest, AMatrixStepOnAnOfferDeadlineRunsBesideTheReoffer) {
  standard_.escalation = {
      {sla_kind::offer_accept, milliseconds{0}, escalation_action::priority, ""}};
  escalated();
  auto offered = conv_.offer_made("alice", "o1", standard_, now_);
  const effect* expiry = find(offered, effect::kind::arm_timer);
  ASSERT_NE(expiry, nullptr);

  auto expired =
      conv_.fire_sla(sla_kind::offer_accept, expiry->deadline, 1, standard_, expiry->deadline);

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  const effect* breach = find(expired, effect::kind::to_supervisors, egress_type::sla_breach);
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->frame.action, "priority");
  EXPECT_NE(find(expired, effect::kind::enqueue), nullptr);
  EXPECT_NE(find(expired, effect::kind::raise_priority), nullptr);
}

TEST_F(ConversationTest, SkillsChosenByRoutingAtOpeningAreRequiredWhenItEscalates) {
  ingress_event opening = customer("Hallo, meine Karte wurde gestohlen");
  opening.skills = {"german"};
  step(opening);
  auto effects = step(bot(bot_outcome::handoff));

  const effect* request = find(effects, effect::kind::enqueue);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->skills, std::vector<std::string>{"german"});
}

}  // namespace
}  // namespace blendroute
