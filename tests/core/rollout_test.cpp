// The rollout controller: cohorts, QA gates, and the pause on a containment drop.
#include "core/rollout.hpp"

#include <string>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

/// When the windows of a test start; only reopens compare times with it.
const time_point window_start = from_unix_ms(1'700'000'000'000);

rollout_config three_stages() {
  rollout_config cfg;
  cfg.enabled = true;
  qa_gate gate;
  gate.min_conversations = 10;
  gate.min_containment = 0.5;
  cfg.stages = {{"pilot", 0.05, gate}, {"cohort", 0.25, gate}, {"full", 1.0, {}}};
  cfg.min_conversations_to_compare = 10;
  return cfg;
}

/// A conversation resolved at first contact, by the bot or after an escalation.
conversation_outcome resolved(bool by_bot) {
  conversation_outcome outcome;
  outcome.resolved = true;
  outcome.escalated = !by_bot;
  outcome.first_contact = true;
  return outcome;
}

/// `finished` conversations of which `contained` the bot resolved; the others escalated
/// with `intent`.
void finish(rollout_controller& rollout, int finished, int contained,
            const std::string& intent = "billing") {
  for (int i = 0; i < finished; ++i) {
    const bool by_bot = i < contained;
    rollout.record_finished("c-" + std::to_string(i), resolved(by_bot), by_bot ? "" : intent);
  }
}

TEST(Rollout, ACustomerKeepsItsCohortAndTheShareIsRespected) {
  rollout_controller rollout(three_stages(), window_start);
  int blended = 0;
  for (int i = 0; i < 20000; ++i) {
    blended += rollout.cohort_for("customer-" + std::to_string(i)) == cohort::blended ? 1 : 0;
  }
  EXPECT_GT(blended, 20000 * 0.04);
  EXPECT_LT(blended, 20000 * 0.06);
  EXPECT_EQ(cohort_position("c-42"), cohort_position("c-42"));

  // Raising the share only moves control customers into the blended cohort.
  std::vector<std::string> pilot_customers;
  for (int i = 0; i < 2000; ++i) {
    const std::string customer = "customer-" + std::to_string(i);
    if (rollout.cohort_for(customer) == cohort::blended) {
      pilot_customers.push_back(customer);
    }
  }
  ASSERT_TRUE(rollout.set_stage("cohort", "test"));
  for (const auto& customer : pilot_customers) {
    EXPECT_EQ(rollout.cohort_for(customer), cohort::blended) << customer;
  }
}

TEST(Rollout, DisabledSendsEveryoneToTheBot) {
  rollout_config cfg = three_stages();
  cfg.enabled = false;
  rollout_controller rollout(cfg, window_start);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(rollout.cohort_for("c" + std::to_string(i)), cohort::blended);
  }
}

TEST(Rollout, AStageAdvancesOnlyWhenItsGatePasses) {
  rollout_controller rollout(three_stages(), window_start);
  finish(rollout, 5, 5);
  auto held = rollout.close_window(window_start);
  EXPECT_EQ(held.what, rollout_event::kind::held);
  EXPECT_NE(held.reason.find("only 5 of 10"), std::string::npos) << held.reason;

  finish(rollout, 20, 8);
  held = rollout.close_window(window_start);
  EXPECT_EQ(held.what, rollout_event::kind::held);
  EXPECT_NE(held.reason.find("containment 40.0% < 50.0%"), std::string::npos) << held.reason;
  EXPECT_EQ(rollout.stage().name, "pilot");

  finish(rollout, 20, 12);
  auto advanced = rollout.close_window(window_start);
  EXPECT_EQ(advanced.what, rollout_event::kind::advanced);
  EXPECT_EQ(advanced.stage, "cohort");
  EXPECT_EQ(rollout.stage().share, 0.25);
}

TEST(Rollout, AContainmentDropOfMoreThanFivePercentPausesAndNamesTheTopIntents) {
  rollout_controller rollout(three_stages(), window_start);
  finish(rollout, 20, 12);  // 60 %
  ASSERT_EQ(rollout.close_window(window_start).what, rollout_event::kind::advanced);

  // 56 %: a drop of 6.7 % of the previous containment.
  for (int i = 0; i < 14; ++i) {
    rollout.record_finished("bot-" + std::to_string(i), resolved(true), "");
  }
  for (const auto& [intent, count] : std::vector<std::pair<std::string, int>>{
           {"refund", 5}, {"card_lost", 3}, {"booking", 2}, {"weather", 1}}) {
    for (int i = 0; i < count; ++i) {
      rollout.record_finished(intent + std::to_string(i), resolved(false), intent);
    }
  }
  auto paused = rollout.close_window(window_start);
  ASSERT_EQ(paused.what, rollout_event::kind::paused);
  EXPECT_TRUE(rollout.paused());
  EXPECT_NE(paused.reason.find("from 60.0% to 56.0%"), std::string::npos) << paused.reason;
  ASSERT_EQ(paused.top_escalated_intents.size(), 3u);
  EXPECT_EQ(paused.top_escalated_intents[0], (std::pair<std::string, std::uint64_t>{"refund", 5}));
  EXPECT_EQ(paused.top_escalated_intents[1].first, "card_lost");
  EXPECT_EQ(paused.top_escalated_intents[2].first, "booking");

  // Paused: even a passing window does not advance, until an operator resumes.
  finish(rollout, 20, 15);
  EXPECT_EQ(rollout.close_window(window_start).what, rollout_event::kind::held);
  EXPECT_EQ(rollout.stage().name, "cohort");
  rollout.resume("admin");
  finish(rollout, 20, 15);
  EXPECT_EQ(rollout.close_window(window_start).what, rollout_event::kind::advanced);
  EXPECT_EQ(rollout.stage().name, "full");
}

TEST(Rollout, ADropOfFivePercentOrLessDoesNotPause) {
  rollout_controller rollout(three_stages(), window_start);
  finish(rollout, 20, 12);  // 60 %
  rollout.close_window(window_start);
  finish(rollout, 100, 57);  // 57 %: exactly 5 % lower
  EXPECT_NE(rollout.close_window(window_start).what, rollout_event::kind::paused);
  EXPECT_FALSE(rollout.paused());
}

TEST(Rollout, AReopenedConversationCountsOnceByItsLastEndingAndNeverAsFirstContact) {
  rollout_controller rollout(three_stages(), window_start);
  const conversation_outcome by_bot = resolved(true);
  rollout.record_finished("c-bot", by_bot, "");
  rollout.record_reopened("c-bot", by_bot, "");
  conversation_outcome by_agent = resolved(false);
  by_agent.first_contact = false;
  rollout.record_finished("c-bot", by_agent, "refund");
  rollout.record_finished("c-other", resolved(true), "");

  const rollout_window& window = rollout.current_window();
  EXPECT_EQ(window.finished, 2u);
  EXPECT_EQ(window.reopened, 1u);
  EXPECT_DOUBLE_EQ(*window.containment(), 0.5);
  EXPECT_DOUBLE_EQ(*window.escalation_rate(), 0.5);
  EXPECT_DOUBLE_EQ(*window.first_contact_resolution(), 0.5);
  EXPECT_EQ(window.escalated_intents.at("refund"), 1u);

  // Reopened again, its escalation no longer counts among the intents that escalated.
  rollout.record_reopened("c-bot", by_agent, "refund");
  EXPECT_EQ(window.escalated_intents.count("refund"), 0u);
  EXPECT_EQ(window.escalated, 0u);
  rollout.record_finished("c-bot", by_agent, "refund");

  // An ending judged in an earlier window stays there: this window loses nothing for it.
  rollout.close_window(window_start + std::chrono::hours{1});
  rollout.record_finished("c-new", resolved(true), "");
  rollout.record_reopened("c-bot", by_agent, "refund");
  EXPECT_EQ(rollout.current_window().finished, 1u);
  EXPECT_EQ(rollout.current_window().reopened, 1u);
}

TEST(Rollout, AnEndingCountedInAWindowIsTakenOffThereWhateverTimeItsActorRead) {
  rollout_controller rollout(three_stages(), window_start);
  rollout.close_window(window_start + std::chrono::hours{1});
  // The actor read the clock before the window closed; the ending reached the controller
  // after, and counted in the new window.
  conversation_outcome stamped_earlier = resolved(true);
  stamped_earlier.ended_at = window_start + std::chrono::minutes{59};
  rollout.record_finished("c-late", stamped_earlier, "");
  rollout.record_finished("c-other", resolved(true), "");
  rollout.record_reopened("c-late", stamped_earlier, "");

  EXPECT_EQ(rollout.current_window().finished, 1u);
  EXPECT_EQ(rollout.current_window().contained, 1u);
  EXPECT_EQ(rollout.current_window().reopened, 1u);
}

TEST(Rollout, AnOperatorMayOnlyChooseAStageThatExists) {
  rollout_controller rollout(three_stages(), window_start);
  EXPECT_FALSE(rollout.set_stage("everyone", "admin").has_value());
  auto set = rollout.set_stage("full", "admin");
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(rollout.stage().name, "full");
  rollout.restore("cohort", true, "containment fell");
  EXPECT_EQ(rollout.stage().name, "cohort");
  EXPECT_TRUE(rollout.paused());
  EXPECT_EQ(rollout.pause_reason(), "containment fell");
}

}  // namespace
}  // namespace blendroute
