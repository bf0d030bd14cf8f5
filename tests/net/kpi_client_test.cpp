// Reading a tier's workload from a /v1/kpis answer.
#include "net/kpi_client.hpp"

#include <gtest/gtest.h>

namespace blendroute::net {
namespace {

constexpr const char* report =
    R"({"window_s":3600,"observed_s":1800.5,"at":1,"overall":{"escalated":9},)"
    R"("tiers":{"standard":{"finished":12,"escalated":9,"average_handle_s":240.5},)"
    R"("priority":{"finished":1,"escalated":0,"average_handle_s":null}}})";

TEST(KpiClient, ReadsATiersEscalationsHandleTimeAndTheObservedPart) {
  auto standard = parse_tier_workload(report, "standard");
  ASSERT_TRUE(standard.ok()) << standard.err().message;
  EXPECT_DOUBLE_EQ(standard->observed_seconds, 1800.5);
  EXPECT_EQ(standard->escalated, 9u);
  ASSERT_TRUE(standard->average_handle_seconds.has_value());
  EXPECT_DOUBLE_EQ(*standard->average_handle_seconds, 240.5);

  auto priority = parse_tier_workload(report, "priority");
  ASSERT_TRUE(priority.ok());
  EXPECT_FALSE(priority->average_handle_seconds.has_value()) << "null means nobody was handled";
}

TEST(KpiClient, NamesWhatIsMissing) {
  EXPECT_NE(parse_tier_workload(report, "vip").err().message.find("no tier \"vip\""),
            std::string::npos);
  EXPECT_EQ(parse_tier_workload("{not json", "standard").err().code, errc::bad_json);
  EXPECT_EQ(parse_tier_workload(R"({"tiers":{"standard":{"escalated":1}}})", "standard").err().code,
            errc::missing_field);
}

TEST(KpiClient, ARouterThatIsNotThereIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto live = fetch_tier_workload("127.0.0.1", 1, "t", "standard", std::chrono::seconds{2});
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.err().code, errc::unavailable);
}

}  // namespace
}  // namespace blendroute::net
