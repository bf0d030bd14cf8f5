// Conversation actors under CAF's deterministic test coordinator: journal first, then effects.
#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/agent_pool_actor.hpp"
#include "actors/bot_connector_actor.hpp"
#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/sla_clock.hpp"
#include "actors/tier_router_actor.hpp"
#include "actors/type_ids.hpp"
#include "persist/dedupe_index.hpp"

namespace blendroute::actors {
namespace {

/// A journal whose writes complete only when the test says so, with the outcome it chooses.
class held_journal final : public persist::journal {
public:
  void append(std::vector<persist::journal_record> records,
              persist::commit_callback done) override {
    pending_.push_back({std::move(records), std::move(done)});
  }

  persist::dedupe_claim claim(const std::string& id, persist::claim_decided decided) override {
    return dedupe_.claim(id, std::move(decided));
  }

  void release(const std::string& id) override { dedupe_.release(id); }

  result<std::vector<std::string>> history(const std::string& conv) override {
    std::vector<std::string> out;
    for (const auto& record : written_) {
      if (record.conv == conv) {
        out.push_back(record.payload);
      }
    }
    return out;
  }

  result<void> for_each_conversation(
      const std::function<void(const std::string&, std::vector<std::string>&)>& visit) override {
    std::map<std::string, std::vector<std::string>> by_conversation;
    for (const auto& record : written_) {
      if (!record.conv.empty()) {
        by_conversation[record.conv].push_back(record.payload);
      }
    }
    for (auto& [conv, payloads] : by_conversation) {
      visit(conv, payloads);
    }
    return {};
  }

  result<void> for_each_agent(
      const std::function<void(const std::string&, const std::string&)>& visit) override {
    std::map<std::string, std::string> latest;
    for (const auto& record : written_) {
      if (!record.agent.empty()) {
        latest[record.agent] = record.payload;
      }
    }
    for (const auto& [agent, payload] : latest) {
      visit(agent, payload);
    }
    return {};
  }

  void forget(std::vector<std::string> convs, time_point, persist::commit_callback done) override {
    std::erase_if(written_, [&](const persist::journal_record& record) {
      return std::find(convs.begin(), convs.end(), record.conv) != convs.end();
    });
    done(result<void>{});
  }

  void close() override {}

  /// Completes every write waiting, successfully or not. Returns how many there were.
  std::size_t complete_all(bool succeed) {
    auto batch = std::move(pending_);
    pending_.clear();
    for (auto& write : batch) {
      if (succeed) {
        written_.insert(written_.end(), write.records.begin(), write.records.end());
        write.done(result<void>{});
      } else {
        write.done(result<void>{errc::unavailable, "disk full"});
      }
    }
    return batch.size();
  }

  std::size_t written() const { return written_.size(); }

  bool wrote(const std::string& kind) const { return records_through(kind) != 0; }

  /// How many records were written up to and including the first one of `kind`; 0 if none.
  std::size_t records_through(const std::string& kind) const {
    for (std::size_t i = 0; i < written_.size(); ++i) {
      if (written_[i].payload.find("\"kind\":\"" + kind + "\"") != std::string::npos) {
        return i + 1;
      }
    }
    return 0;
  }

private:
  struct write {
    std::vector<persist::journal_record> records;
    persist::commit_callback done;
  };

  std::vector<write> pending_;
  std::vector<persist::journal_record> written_;
  persist::dedupe_index dedupe_;
};

/// Records every egress frame with the number of journal records written when it left.
class recording_egress final : public egress_sink {
public:
  explicit recording_egress(const held_journal& journal) : journal_(journal) {}

  /// Whether a remote bot takes bot requests (and stays silent); else the embedded bot answers.
  bool remote_bot = false;

  bool send_to_bot(const egress_frame& frame) override {
    if (remote_bot) {
      record(frame);
    }
    return remote_bot;
  }

  bool send_to_agent(const std::string& agent, const egress_frame& frame) override {
    if (frame.type == egress_type::agent_offer) {
      offered_to_.push_back(agent);
    }
    record(frame);
    return true;
  }

  /// The agents that received an offer, in order.
  const std::vector<std::string>& offered_to() const { return offered_to_; }

  bool send_to_gateway(const egress_frame& frame) override {
    record(frame);
    return true;
  }

  void send_to_supervisors(const egress_frame& frame) override { record(frame); }

  /// The first frame of `type`, with the journal size when it was sent.
  std::optional<std::pair<egress_frame, std::size_t>> first(egress_type type) const {
    for (const auto& sent : sent_) {
      if (sent.first.type == type) {
        return sent;
      }
    }
    return std::nullopt;
  }

  std::size_t count() const { return sent_.size(); }

  /// Every frame sent, in order, with the journal size when it left.
  const std::vector<std::pair<egress_frame, std::size_t>>& all() const { return sent_; }

  std::size_t count(egress_type type) const {
    return static_cast<std::size_t>(std::count_if(
        sent_.begin(), sent_.end(), [type](const auto& sent) { return sent.first.type == type; }));
  }

  /// The states announced in `conversation.state` frames, in order.
  std::vector<std::string> states() const {
    std::vector<std::string> out;
    for (const auto& sent : sent_) {
      if (sent.first.type == egress_type::conversation_state) {
        out.push_back(sent.first.state);
      }
    }
    return out;
  }

private:
  void record(const egress_frame& frame) { sent_.emplace_back(frame, journal_.written()); }

  const held_journal& journal_;
  std::vector<std::pair<egress_frame, std::size_t>> sent_;
  std::vector<std::string> offered_to_;
};

class ConversationActorTest : public ::testing::Test {
protected:
  ConversationActorTest()
      : egress_(journal_),
        bot_({{"bank_fraud_report", {"fraud"}, "Connecting you.", bot_outcome::handoff}},
             {"", "Tell me more?", bot_outcome::continue_turn, 0}) {
    caf_cfg_.set("scheduler.policy", caf::atom("testing"));
    system_.emplace(caf_cfg_);
    coordinator_ = &dynamic_cast<caf::scheduler::test_coordinator&>(system_->scheduler());

    ctx_.cfg = std::make_shared<const config>(default_config());
    ctx_.journal = &journal_;
    ctx_.egress = &egress_;
    ctx_.bot = &bot_;
    ctx_.log = &log_;
    ctx_.clock = [this] {
      return now_;
    };
    // Timers come due only when a test moves `now_` and calls fire_due().
    timers_.emplace([this] { return now_; }, fire_conversation_timer, sla_clock::mode::manual);
    ctx_.timers = &*timers_;
    stats_.emplace(*ctx_.cfg);
    ctx_.stats = &*stats_;
    ctx_.redispatch = [](ingress_envelope) {
    };
    ctx_.agent_pool = spawn_agent_pool_actor(*system_, &ctx_);
    ctx_.bot_connector = spawn_bot_connector_actor(*system_, &ctx_);
    conversation_ = spawn_conversation_actor(*system_, &ctx_, "c1");
    ctx_.directory.insert("c1", conversation_);
  }

  ~ConversationActorTest() override {
    // Writes still held answer their events now, while everything those answers reach (the
    // context, the log, the acks) is alive.
    settle();
    for (const auto& handle : {conversation_, ctx_.agent_pool, ctx_.bot_connector}) {
      caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    }
    coordinator_->run();
    timers_->stop();
  }

  /// Sends `event` the way the router does and collects its ack.
  void submit(caf::actor target, ingress_event event, const std::string& tier = "standard") {
    const std::string id = event.id;
    ingress_envelope envelope{std::move(event), ack_promise([this, id](ack answer) {
                                acks_.push_back(answer);
                                acks_by_id_[id] = answer;
                              }),
                              false, tier};
    caf::anon_send(target, conversation_msg{std::move(envelope)});
  }

  static ingress_event customer(std::string text) {
    ingress_event e;
    e.type = event_type::customer_message;
    e.id = "m1";
    e.conv = "c1";
    e.text = std::move(text);
    return e;
  }

  void announce(const std::string& agent, std::vector<std::string> skills) {
    ingress_event status;
    status.type = event_type::agent_status;
    status.id = "s-" + agent;
    status.agent = agent;
    status.presence = agent_presence::available;
    status.skills = std::move(skills);
    caf::anon_send(ctx_.agent_pool, update_atom_v,
                   ingress_envelope{status, ack_promise([](ack) {}), false, {}});
    settle();
  }

  /// Runs the actors, completing journal writes as they are asked for, until all is quiet.
  void settle() {
    for (int round = 0; round < 100; ++round) {
      coordinator_->run();
      if (journal_.complete_all(true) == 0) {
        return;
      }
    }
  }

  held_journal journal_;
  recording_egress egress_;
  faq_bot bot_;
  null_log_sink log_;
  time_point now_ = from_unix_ms(1'700'000'000'000);
  caf::actor_system_config caf_cfg_;
  std::optional<caf::actor_system> system_;
  caf::scheduler::test_coordinator* coordinator_ = nullptr;
  std::optional<sla_clock> timers_;
  std::optional<router_stats> stats_;
  router_context ctx_;
  caf::actor conversation_;
  std::vector<ack> acks_;
  std::map<std::string, ack> acks_by_id_;
};

TEST_F(ConversationActorTest, AcksAndActsOnlyAfterTheJournalWrite) {
  submit(conversation_, customer("hello"));
  coordinator_->run();
  EXPECT_TRUE(acks_.empty()) << "no ack before the write";
  EXPECT_EQ(egress_.count(), 0u) << "no effect before the write";

  journal_.complete_all(true);
  coordinator_->run();
  ASSERT_EQ(acks_.size(), 1u);
  EXPECT_EQ(acks_[0].status, ack_status::ok);
  auto opened = egress_.first(egress_type::conversation_state);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->second, 1u);
}

TEST_F(ConversationActorTest, AFailedWriteIsRejectedAndAppliesNothing) {
  submit(conversation_, customer("hello"));
  coordinator_->run();
  journal_.complete_all(false);
  coordinator_->run();

  ASSERT_EQ(acks_.size(), 1u);
  EXPECT_EQ(acks_[0].status, ack_status::rejected);
  EXPECT_EQ(acks_[0].code, errc::unavailable);
  EXPECT_EQ(egress_.count(), 0u);
}

TEST_F(ConversationActorTest, AnOfferIsJournaledBeforeTheAgentSeesIt) {
  ingress_event status;
  status.type = event_type::agent_status;
  status.id = "s1";
  status.agent = "ana";
  status.presence = agent_presence::available;
  caf::anon_send(ctx_.agent_pool, update_atom_v,
                 ingress_envelope{status, ack_promise([](ack) {}), false, {}});
  settle();

  submit(conversation_, customer("I want to report fraud"));
  settle();

  auto offer = egress_.first(egress_type::agent_offer);
  ASSERT_TRUE(offer.has_value()) << "the handoff reached the agent";
  EXPECT_TRUE(journal_.wrote("offer"));
  // Every record up to and including the offer was durable when the offer left.
  const auto history = journal_.history("c1");
  ASSERT_TRUE(history.ok());
  std::size_t offer_position = 0;
  for (std::size_t i = 0; i < history->size(); ++i) {
    if ((*history)[i].find("\"kind\":\"offer\"") != std::string::npos) {
      offer_position = i + 1;
    }
  }
  ASSERT_GT(offer_position, 0u);
  EXPECT_GE(offer->second, offer_position);
}

TEST_F(ConversationActorTest, EventsForOneConversationApplyInOrderWhileAWriteIsPending) {
  submit(conversation_, customer("hello"));
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "l1";
  left.conv = "c1";
  submit(conversation_, left);
  coordinator_->run();
  EXPECT_TRUE(acks_.empty());

  settle();
  ASSERT_GE(acks_.size(), 2u);
  EXPECT_EQ(acks_[0].status, ack_status::ok);
  EXPECT_EQ(acks_[1].status, ack_status::ok);
  EXPECT_TRUE(journal_.history("c1")->back().find("customer.left") != std::string::npos);
}

TEST_F(ConversationActorTest, AFailedConversationIsRestartedFromItsJournalAndGoesOn) {
  caf::actor tier_router = spawn_tier_router_actor(*system_, &ctx_, "standard");
  caf::anon_send(tier_router, supervise_atom_v, conversation_, std::string("c1"));
  submit(conversation_, customer("hello"));
  settle();
  ASSERT_EQ(egress_.states(), std::vector<std::string>{"bot"});

  caf::anon_send_exit(conversation_, caf::exit_reason::unhandled_exception);
  settle();  // The restart waits for the journal to write what was queued before it.
  auto restarted = ctx_.directory.find("c1");
  ASSERT_TRUE(restarted.has_value()) << "the conversation has an actor again";
  EXPECT_NE(*restarted, conversation_);
  EXPECT_EQ(stats_->conversation_failures(), 1u);
  EXPECT_EQ(stats_->conversation_restarts(), 1u);

  // It is the same conversation: the customer can leave it (a fresh, unopened one would
  // reject that as unknown).
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "l1";
  left.conv = "c1";
  submit(*restarted, left);
  settle();
  ASSERT_FALSE(acks_.empty());
  EXPECT_EQ(acks_.back().status, ack_status::ok) << acks_.back().message;
  EXPECT_EQ(egress_.states(), (std::vector<std::string>{"bot", "abandoned"}));

  for (const auto& handle : {*restarted, tier_router}) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  }
}

TEST_F(ConversationActorTest, AConversationGivenUpAfterRepeatedFailuresFreesItsAgent) {
  caf::actor tier_router = spawn_tier_router_actor(*system_, &ctx_, "standard");
  caf::anon_send(tier_router, supervise_atom_v, conversation_, std::string("c1"));
  announce("ana", {});  // Capacity 1.
  submit(conversation_, customer("I want to report fraud"));
  settle();
  ASSERT_EQ(egress_.offered_to(), std::vector<std::string>{"ana"});

  caf::actor second = spawn_conversation_actor(*system_, &ctx_, "c2");
  ctx_.directory.insert("c2", second);
  ingress_event other = customer("my card was stolen, fraud");
  other.id = "m2";
  other.conv = "c2";
  submit(second, other);
  settle();
  ASSERT_EQ(egress_.offered_to().size(), 1u) << "ana is full: c2 waits in the queue";

  // Restarted three times, then given up: its journal would only fail it again.
  for (int failure = 1; failure <= 4; ++failure) {
    auto current = ctx_.directory.find("c1");
    ASSERT_TRUE(current.has_value()) << "failure " << failure;
    caf::anon_send_exit(*current, caf::exit_reason::unhandled_exception);
    settle();
  }
  EXPECT_FALSE(ctx_.directory.find("c1").has_value());
  EXPECT_EQ(stats_->conversation_restarts(), 3u);

  // The capacity c1 held goes to the conversation that waited for it.
  ASSERT_EQ(egress_.offered_to().size(), 2u);
  EXPECT_EQ(egress_.offered_to()[1], "ana");

  for (const auto& handle : {second, tier_router}) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  }
}

TEST_F(ConversationActorTest, ABotAttemptBreachIsActedOnAtItsDeadlineAndNotAMillisecondBefore) {
  egress_.remote_bot = true;  // It never answers.
  submit(conversation_, customer("hello?"));
  settle();
  ASSERT_TRUE(egress_.first(egress_type::bot_request).has_value());
  const time_point deadline = now_ + ctx_.cfg->find_tier("standard")->bot_attempt;

  now_ = deadline - std::chrono::milliseconds{1};
  EXPECT_EQ(timers_->fire_due(), 0u);
  settle();
  EXPECT_FALSE(egress_.first(egress_type::sla_breach).has_value());
  EXPECT_EQ(egress_.states(), std::vector<std::string>{"bot"});

  now_ = deadline;
  EXPECT_EQ(timers_->fire_due(), 1u);
  settle();
  auto breach = egress_.first(egress_type::sla_breach);
  ASSERT_TRUE(breach.has_value());
  EXPECT_EQ(breach->first.sla, "bot_attempt");
  EXPECT_EQ(breach->first.deadline, deadline);
  EXPECT_EQ(breach->first.at, deadline) << "acted on at the deadline itself";
  ASSERT_TRUE(journal_.wrote("sla_breach"));
  EXPECT_GE(breach->second, journal_.records_through("sla_breach"))
      << "journaled before it was announced";
  EXPECT_EQ(egress_.states(), (std::vector<std::string>{"bot", "queued"}));
  EXPECT_EQ(stats_->breaches("standard", sla_kind::bot_attempt), 1u);
}

TEST_F(ConversationActorTest, ATimerTheConversationNoLongerWantsIsCancelledInsteadOfFiring) {
  const auto& tier = *ctx_.cfg->find_tier("standard");
  ASSERT_GT(tier.idle_warning.count(), 0) << "the test needs the idle timer";
  submit(conversation_, customer("hello?"));
  settle();  // The embedded bot answers at once: its bot_attempt timer is moot.
  ingress_event second = customer("and another thing");
  second.id = "m2";
  submit(conversation_, second);
  settle();  // The customer wrote: the idle timer of the first answer is moot too.
  ASSERT_EQ(egress_.states(), std::vector<std::string>{"bot"});

  EXPECT_EQ(timers_->armed(), 1u) << "only the idle timer of the last answer is wanted";
  now_ += tier.bot_attempt;
  EXPECT_EQ(timers_->fire_due(), 0u) << "the answered bot attempts do not fire";
  now_ += tier.idle_warning;
  EXPECT_EQ(timers_->fire_due(), 1u);
  settle();
  EXPECT_EQ(egress_.count(egress_type::customer_deliver), 3u) << "two answers and a warning";
}

TEST_F(ConversationActorTest, BotRequestsAndOffersCarryTheConversationsContext) {
  announce("ana", {});
  egress_.remote_bot = true;
  auto opening = customer("my card was stolen, I want to report fraud");
  opening.attrs = {{"domain", "bank"}};
  submit(conversation_, opening);
  settle();
  const auto request = egress_.first(egress_type::bot_request);
  ASSERT_TRUE(request.has_value());
  ASSERT_NE(request->first.context, nullptr);
  ASSERT_EQ(request->first.context->transcript.size(), 1U);
  EXPECT_EQ(request->first.context->transcript[0].text, opening.text);
  EXPECT_EQ(request->first.context->attrs, opening.attrs);

  ingress_event handoff;
  handoff.type = event_type::bot_reply;
  handoff.id = "b1";
  handoff.conv = "c1";
  handoff.text = "Connecting you.";
  handoff.outcome = bot_outcome::handoff;
  handoff.intent = "bank_fraud_report";
  submit(conversation_, handoff);
  settle();

  const auto offer = egress_.first(egress_type::agent_offer);
  ASSERT_TRUE(offer.has_value()) << "ana is free";
  ASSERT_NE(offer->first.context, nullptr);
  const conversation_context& context = *offer->first.context;
  ASSERT_EQ(context.transcript.size(), 2U);
  EXPECT_EQ(context.transcript[1].text, "Connecting you.");
  EXPECT_EQ(context.intent, "bank_fraud_report");
  EXPECT_EQ(context.bot_turns, 1);
  EXPECT_EQ(context.escalation_reason, "bot_handoff");
  EXPECT_EQ(context.attrs, opening.attrs);
}

TEST_F(ConversationActorTest, EveryBreachIsAnnouncedAndCountedUnderItsTierAndSla) {
  announce("ana", {"fraud"});
  const time_point escalated_at = now_;
  submit(conversation_, customer("I want to report fraud"));
  settle();
  ASSERT_TRUE(egress_.first(egress_type::agent_offer).has_value());
  const auto& tier = *ctx_.cfg->find_tier("standard");

  now_ = escalated_at + tier.offer_accept;  // ana never answers the offer.
  EXPECT_EQ(timers_->fire_due(), 1u);
  settle();
  EXPECT_EQ(stats_->breaches("standard", sla_kind::offer_accept), 1u);
  EXPECT_EQ(stats_->breaches("standard", sla_kind::human_response), 0u);

  now_ = escalated_at + tier.human_response;  // Still nobody has answered the customer.
  timers_->fire_due();
  settle();
  EXPECT_EQ(stats_->breaches("standard", sla_kind::human_response), 1u);
  std::vector<std::string> announced;
  for (const auto& sent : egress_.all()) {
    if (sent.first.type == egress_type::sla_breach && sent.first.level == 1) {
      announced.push_back(sent.first.sla);
    }
  }
  EXPECT_NE(std::find(announced.begin(), announced.end(), "offer_accept"), announced.end());
  EXPECT_NE(std::find(announced.begin(), announced.end(), "human_response"), announced.end());
  EXPECT_EQ(stats_->breaches("standard", sla_kind::offer_accept),
            static_cast<std::size_t>(
                std::count(announced.begin(), announced.end(), std::string("offer_accept"))))
      << "each offer that expired is one breach";
}

TEST_F(ConversationActorTest, ABotReplyNamingAnIntentRequiresTheSkillsConfiguredForIt) {
  config cfg = *ctx_.cfg;
  cfg.intent_skills = {{"bank_fraud_report", {"fraud"}}};
  ctx_.cfg = std::make_shared<const config>(std::move(cfg));
  announce("ana", {});
  submit(conversation_, customer("I want to report fraud"));
  settle();
  EXPECT_EQ(egress_.states(), (std::vector<std::string>{"bot", "queued"}));
  EXPECT_TRUE(egress_.offered_to().empty()) << "ana lacks the fraud skill";
  auto history = journal_.history("c1");
  ASSERT_TRUE(history.ok());
  EXPECT_NE(history->at(1).find(R"("skills":["fraud"])"), std::string::npos)
      << "the skills are journaled with the reply: " << history->at(1);

  announce("bob", {"fraud"});
  EXPECT_EQ(egress_.offered_to(), std::vector<std::string>{"bob"});
}

TEST_F(ConversationActorTest, EveryEventAFailingConversationHeldIsStillAnswered) {
  caf::actor tier_router = spawn_tier_router_actor(*system_, &ctx_, "standard");
  caf::anon_send(tier_router, supervise_atom_v, conversation_, std::string("c1"));
  submit(conversation_, customer("hello"));
  settle();
  ASSERT_EQ(acks_.size(), 1u);

  // One event reaches the actor and waits for its write, the other waits in the mailbox,
  // when the actor fails.
  ingress_event csat;
  csat.type = event_type::customer_csat;
  csat.id = "c-1";
  csat.conv = "c1";
  csat.csat_score = 4;
  submit(conversation_, csat);
  coordinator_->run_once();
  ingress_event left;
  left.type = event_type::customer_left;
  left.id = "l1";
  left.conv = "c1";
  submit(conversation_, left);
  caf::anon_send_exit(conversation_, caf::exit_reason::unhandled_exception);
  settle();

  ASSERT_EQ(acks_.size(), 3u) << "no event is left unanswered";
  const auto history = journal_.history("c1");
  ASSERT_TRUE(history.ok());
  auto journaled = [&](const std::string& type) {
    return std::any_of(history->begin(), history->end(), [&](const std::string& payload) {
      return payload.find(type) != std::string::npos;
    });
  };
  // An event is acked ok exactly when it is in the journal, which the restarted actor
  // applies; otherwise it is unavailable and may be sent again.
  const ack& csat_ack = acks_by_id_.at("c-1");
  const ack& left_ack = acks_by_id_.at("l1");
  EXPECT_TRUE(journaled("customer.csat")) << "its write was under way when the actor failed";
  EXPECT_EQ(csat_ack.status, ack_status::ok) << csat_ack.message;
  EXPECT_EQ(left_ack.status, ack_status::rejected);
  EXPECT_EQ(left_ack.code, errc::unavailable);
  EXPECT_FALSE(journaled("customer.left"));

  auto restarted = ctx_.directory.find("c1");
  ASSERT_TRUE(restarted.has_value());
  acks_.clear();
  submit(*restarted, left);
  settle();
  ASSERT_EQ(acks_.size(), 1u);
  EXPECT_EQ(acks_[0].status, ack_status::ok) << "sent again, it applies";
  for (const auto& handle : {*restarted, tier_router}) {
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  }
}

}  // namespace
}  // namespace blendroute::actors
