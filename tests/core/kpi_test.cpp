// KPIs over a sliding window: containment, escalation, FCR, handle time, CSAT, SLA attainment.
#include "core/kpi.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class KpiWindowTest : public ::testing::Test {
protected:
  static conversation_outcome resolved_by_bot() {
    conversation_outcome o;
    o.resolved = true;
    o.handle_time = seconds{30};
    return o;
  }

  static conversation_outcome resolved_by_agent(int transfers = 0) {
    conversation_outcome o;
    o.resolved = true;
    o.escalated = true;
    o.transfers = transfers;
    o.handle_time = minutes{4};
    return o;
  }

  kpi_window window_{minutes{60}};
  time_point now_ = from_unix_ms(1'700'000'000'000);
};

TEST_F(KpiWindowTest, RatiosComeFromTheConversationsThatFinished) {
  window_.record_outcome("standard", resolved_by_bot(), now_);
  window_.record_outcome("standard", resolved_by_agent(1), now_);
  window_.record_outcome("standard", resolved_by_agent(), now_);
  conversation_outcome left;
  left.abandoned = true;
  window_.record_outcome("standard", left, now_);
  window_.record_reopen("standard", now_);
  window_.record_csat("standard", 5, now_);
  window_.record_csat("standard", 2, now_);

  const kpi_summary s = window_.by_tier(now_)["standard"];
  EXPECT_EQ(s.finished, 4u);
  EXPECT_DOUBLE_EQ(*s.containment(), 0.25);
  EXPECT_DOUBLE_EQ(*s.escalation_rate(), 0.5);
  EXPECT_DOUBLE_EQ(*s.first_contact_resolution(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*s.average_handle_seconds(), 240.0) << "the ones a human handled";
  EXPECT_DOUBLE_EQ(*s.csat(), 3.5);
  EXPECT_EQ(s.transfers, 1u);
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
