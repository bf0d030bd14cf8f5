// KPIs over a sliding window: containment, escalation, FCR, handle time, CSAT, SLA attainment.
#include "core/kpi.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class KpiWindowTest : public ::testing::Test {
protected:
  conversation_outcome resolved_by_bot() const {
    conversation_outcome o;
    o.resolved = true;
    o.first_contact = true;
    o.handle_time = seconds{30};
    o.ended_at = now_;
    return o;
  }

  conversation_outcome resolved_by_agent(int transfers = 0) const {
    conversation_outcome o;
    o.resolved = true;
    o.escalated = true;
    o.first_contact = true;
    o.transfers = transfers;
    o.handle_time = minutes{4};
    o.ended_at = now_;
    return o;
  }

  time_point now_ = from_unix_ms(1'700'000'000'000);
  kpi_window window_{minutes{60}, now_ - minutes{120}};
};

TEST_F(KpiWindowTest, RatiosComeFromTheConversationsThatFinished) {
  window_.record_outcome("standard", resolved_by_bot(), now_);
  window_.record_outcome("standard", resolved_by_agent(1), now_);
  window_.record_outcome("standard", resolved_by_agent(), now_);
  conversation_outcome left;
  left.abandoned = true;
  window_.record_outcome("standard", left, now_);
  window_.record_csat("standard", 5, now_);
  window_.record_csat("standard", 2, now_);

  const kpi_summary s = window_.by_tier(now_)["standard"];
  EXPECT_EQ(s.finished, 4u);
  EXPECT_DOUBLE_EQ(*s.containment(), 0.25);
  EXPECT_DOUBLE_EQ(*s.escalation_rate(), 0.5);
  EXPECT_DOUBLE_EQ(*s.first_contact_resolution(), 1.0);
  EXPECT_DOUBLE_EQ(*s.average_handle_seconds(), 240.0) << "the ones a human handled";
  EXPECT_DOUBLE_EQ(*s.csat(), 3.5);
  EXPECT_EQ(s.transfers, 1u);
}

TEST_F(KpiWindowTest, AReopenedConversationCountsOnceByItsLastEndingAndNeverAsFirstContact) {
  // Resolved by the bot, reopened five minutes later, then resolved by an agent.
  const conversation_outcome first_ending = resolved_by_bot();
  window_.record_outcome("standard", first_ending, now_);
  window_.record_reopen("standard", first_ending, now_ + minutes{5});
  conversation_outcome last_ending = resolved_by_agent(1);
  last_ending.first_contact = false;
  last_ending.ended_at = now_ + minutes{20};
  window_.record_outcome("standard", last_ending, last_ending.ended_at);
  // And one resolved at first contact.
  window_.record_outcome("standard", resolved_by_bot(), now_ + minutes{21});

  const kpi_summary s = window_.by_tier(now_ + minutes{30})["standard"];
  EXPECT_EQ(s.finished, 2u);
  EXPECT_EQ(s.resolved, 2u);
  EXPECT_EQ(s.reopened, 1u);
  EXPECT_EQ(s.transfers, 1u);
  EXPECT_DOUBLE_EQ(*s.containment(), 0.5);
  EXPECT_DOUBLE_EQ(*s.escalation_rate(), 0.5);
  EXPECT_DOUBLE_EQ(*s.first_contact_resolution(), 0.5);
  EXPECT_DOUBLE_EQ(*s.average_handle_seconds(), 240.0);

  // Once the first ending leaves the window, its undoing goes with it; the reopen itself
  // is counted when it happened.
  const kpi_summary later = window_.by_tier(now_ + minutes{62})["standard"];
  EXPECT_EQ(later.finished, 2u);
  EXPECT_EQ(later.reopened, 1u);
  EXPECT_DOUBLE_EQ(*later.first_contact_resolution(), 0.5);
}

TEST_F(KpiWindowTest, AReopenOfAnEndingThatLeftTheWindowTakesNothingOff) {
  const conversation_outcome old_ending = resolved_by_bot();
  window_.record_outcome("standard", old_ending, now_);
  window_.record_outcome("standard", resolved_by_bot(), now_ + minutes{61});
  window_.record_reopen("standard", old_ending, now_ + minutes{61});

  const kpi_summary s = window_.by_tier(now_ + minutes{61})["standard"];
  EXPECT_EQ(s.finished, 1u) << "another conversation's ending stays counted";
  EXPECT_EQ(s.reopened, 1u);
}

TEST_F(KpiWindowTest, AReopenOfAnEndingFromBeforeTheStartTakesNothingOff) {
  // The process started at now_; the conversation had been resolved just before (its
  // ending came back from the journal, uncounted), and is reopened just after.
  kpi_window restarted(minutes{60}, now_);
  conversation_outcome before_restart = resolved_by_bot();
  before_restart.ended_at = now_ - seconds{1};
  restarted.record_outcome("standard", resolved_by_bot(), now_);
  restarted.record_reopen("standard", before_restart, now_ + seconds{1});

  const kpi_summary s = restarted.by_tier(now_ + seconds{2})["standard"];
  EXPECT_EQ(s.finished, 1u) << "another conversation's ending stays counted";
  EXPECT_EQ(s.reopened, 1u);
}

TEST_F(KpiWindowTest, AnEndingStampedBeforeTheNewestSliceIsTakenOffWhereItCounted) {
  window_.record_outcome("standard", resolved_by_bot(), now_);
  window_.record_outcome("standard", resolved_by_bot(), now_ + minutes{1});
  // Another thread's clock read a little earlier: this ending belongs to the minute before
  // the newest one, and is taken off there when the conversation is reopened.
  conversation_outcome late = resolved_by_agent();
  late.ended_at = now_ + seconds{30};
  window_.record_outcome("standard", late, late.ended_at);
  window_.record_reopen("standard", late, now_ + minutes{2});

  const kpi_summary s = window_.by_tier(now_ + minutes{2})["standard"];
  EXPECT_EQ(s.finished, 2u);
  EXPECT_EQ(s.contained, 2u) << "the bot's endings stay; the agent's is taken off";
  EXPECT_EQ(s.escalated, 0u);
}

TEST_F(KpiWindowTest, SlaAttainmentIsTheShareOfTimesTheSlaWasMet) {
  for (int i = 0; i < 4; ++i) {
    window_.record_sla_opportunity("priority", sla_kind::offer_accept, now_);
  }
  window_.record_sla_breach("priority", sla_kind::offer_accept, now_);

  kpi_summary s = window_.by_tier(now_)["priority"];
  EXPECT_DOUBLE_EQ(*s.attainment(sla_kind::offer_accept), 0.75);
  EXPECT_FALSE(s.attainment(sla_kind::human_response).has_value()) << "it never applied";
}

TEST_F(KpiWindowTest, WhatIsOlderThanTheWindowNoLongerCounts) {
  window_.record_outcome("standard", resolved_by_bot(), now_);
  window_.record_outcome("standard", resolved_by_agent(), now_ + minutes{50});

  EXPECT_EQ(window_.by_tier(now_ + minutes{55})["standard"].finished, 2u);
  const kpi_summary later = window_.by_tier(now_ + minutes{61})["standard"];
  EXPECT_EQ(later.finished, 1u);
  EXPECT_DOUBLE_EQ(*later.containment(), 0.0);
  EXPECT_FALSE(window_.by_tier(now_ + minutes{200})["standard"].containment().has_value());
}

}  // namespace
}  // namespace blendroute
