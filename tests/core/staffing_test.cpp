// Erlang C staffing against values computed by hand from the textbook formula.
#include "core/staffing.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

TEST(Staffing, ErlangCMatchesTheFactorialFormula) {
  // A^N/N! · N/(N−A) over Σ_{k<N} A^k/k! + the same term.
  EXPECT_NEAR(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12);
  EXPECT_NEAR(erlang_c(11, 10.0), 0.6821182046893324, 1e-12);
  EXPECT_NEAR(erlang_c(15, 12.0), 0.31919042511255974, 1e-12);
  EXPECT_EQ(erlang_c(10, 10.0), 1.0) << "servers that cannot keep up always make one wait";
  EXPECT_EQ(erlang_c(5, 0.0), 0.0);
}

TEST(Staffing, TwoHundredAnHourOfThreeMinutesNeedFourteenAgentsForEightyInTwenty) {
  staffing_input input;
  input.arrivals_per_hour = 200;
  input.handle_seconds = 180;
  input.answer_within_seconds = 20;
  input.service_level = 0.8;
  auto plan = plan_staffing(input);
  ASSERT_TRUE(plan.ok());
  EXPECT_NEAR(plan->traffic_erlangs, 10.0, 1e-12);
  EXPECT_EQ(plan->recommended.agents, 14);
  EXPECT_NEAR(plan->recommended.service_level, 0.8883500191794669, 1e-9);
  EXPECT_NEAR(plan->recommended.average_wait_seconds, 7.835937011777243, 1e-6);
  EXPECT_NEAR(plan->recommended.occupancy, 10.0 / 14.0, 1e-12);
  // Thirteen fall just short: 79.6 %.
  ASSERT_FALSE(plan->around.empty());
  EXPECT_EQ(plan->around.front().agents, 13);
  EXPECT_NEAR(plan->around.front().service_level, 0.7955947884177831, 1e-9);
  EXPECT_EQ(plan->around.back().agents, 17);
}

TEST(Staffing, AgentsCarryingTwoChatsEachAreTwoServers) {
  staffing_input input;
  input.arrivals_per_hour = 200;
  input.handle_seconds = 180;
  input.answer_within_seconds = 20;
  input.concurrency = 2;
  auto plan = plan_staffing(input);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->recommended.agents, 7);
  EXPECT_NEAR(plan->recommended.service_level, 0.8883500191794669, 1e-9);
}

TEST(Staffing, ShrinkageRaisesTheAgentsToSchedule) {
  staffing_input input;
  input.arrivals_per_hour = 200;
  input.handle_seconds = 180;
  input.answer_within_seconds = 20;
  input.shrinkage = 0.3;
  auto plan = plan_staffing(input);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->recommended.agents, 14);
  EXPECT_EQ(plan->recommended.scheduled, 20);
}

TEST(Staffing, FiguresOutOfRangeAreRefusedByName) {
  staffing_input input;
  input.arrivals_per_hour = 0;
  input.handle_seconds = 180;
  EXPECT_NE(plan_staffing(input).err().message.find("arrivals"), std::string::npos);
  input.arrivals_per_hour = 10;
  input.handle_seconds = 0;
  EXPECT_NE(plan_staffing(input).err().message.find("handle time"), std::string::npos);
  input.handle_seconds = 60;
  input.service_level = 1.0;
  EXPECT_NE(plan_staffing(input).err().message.find("service level"), std::string::npos);
  input.service_level = 0.8;
  input.shrinkage = 1.0;
  EXPECT_NE(plan_staffing(input).err().message.find("shrinkage"), std::string::npos);
}

TEST(Staffing, ALargeCenterIsComputedWithoutOverflow) {
  staffing_input input;
  input.arrivals_per_hour = 60'000;  // 5,000 erlangs
  input.handle_seconds = 300;
  input.answer_within_seconds = 30;
  auto plan = plan_staffing(input);
  ASSERT_TRUE(plan.ok());
  EXPECT_GT(plan->recommended.agents, 5000);
  EXPECT_LT(plan->recommended.agents, 5200);
  EXPECT_GE(plan->recommended.service_level, 0.8);
  EXPECT_TRUE(std::isfinite(plan->recommended.average_wait_seconds));
}

}  // namespace
}  // namespace blendroute
