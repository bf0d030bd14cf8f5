// The server check of blendroute-load: the server's counters over a run against the tool's.

#include "bench/load/server_check.hpp"

#include <gtest/gtest.h>

namespace blendroute::load {
namespace {

constexpr const char* ingress_ok =
    R"(blendroute_ingress_events_total{type="customer.message",status="ok"})";
constexpr const char* standard_bot_attempt =
    R"(blendroute_sla_breaches_total{tier="standard",sla="bot_attempt"})";

TEST(PrometheusSamples, EverySampleLineByItsNameAndLabels) {
  const auto samples = parse_prometheus_samples(
      "# HELP blendroute_x Something.\n"
      "# TYPE blendroute_x counter\n"
      "blendroute_x 3\n"
      "blendroute_y{tier=\"a b\"} 2.5\n"
      "\n"
      "garbage\n");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples.at("blendroute_x"), 3);
  EXPECT_EQ(samples.at("blendroute_y{tier=\"a b\"}"), 2.5);
}

server_snapshot snapshot(double ingress, double breaches, std::uint64_t contained) {
  server_snapshot s;
  s.samples[ingress_ok] = ingress;
  s.samples[standard_bot_attempt] = breaches;
  s.kpi_window_s = 900;
  s.kpi_observed_s = 10;
  s.kpis["overall"].contained = contained;
  s.kpis["standard"].contained = contained;
  s.kpis["standard"].resolved = contained;
  s.kpis["standard"].finished = contained;
  return s;
}

TEST(ServerCheck, TheServersChangeOverTheRunIsComparedWithTheTool) {
  tool_tally tool;
  tool.customer_messages_ok = 100;
  tool.outcomes["standard"].contained = 40;
  tool.outcomes["standard"].resolved = 40;
  tool.outcomes["standard"].finished = 40;
  tool.breaches["standard"]["bot_attempt"] = 2;
  // Earlier traffic left counts behind: only the change counts.
  const auto check = cross_check(snapshot(1000, 5, 7), snapshot(1100, 7, 47), 5, tool);
  EXPECT_TRUE(check.unavailable.empty());
  EXPECT_TRUE(check.caveats.empty());
  EXPECT_EQ(check.disagreements(), 0u);
  bool saw_breaches = false;
  for (const auto& row : check.rows) {
    if (row.figure == "standard bot_attempt breaches") {
      saw_breaches = true;
      EXPECT_EQ(row.server, 2u);
    }
  }
  EXPECT_TRUE(saw_breaches);
}

TEST(ServerCheck, ADifferenceIsReportedOnBothSides) {
  tool_tally tool;
  tool.customer_messages_ok = 99;
  const auto check = cross_check(snapshot(0, 0, 0), snapshot(100, 3, 0), 5, tool);
  // The ingress count differs, and the server counted breaches the tool never saw.
  EXPECT_EQ(check.disagreements(), 2u);
  bool unseen_breaches = false;
  for (const auto& row : check.rows) {
    if (row.figure == "standard bot_attempt breaches") {
      unseen_breaches = row.tool == 0 && row.server == 3;
    }
  }
  EXPECT_TRUE(unseen_breaches);
}

TEST(ServerCheck, BreachesThatFiredAfterTheServerWasReadAreNoDisagreement) {
  tool_tally tool;
  tool.customer_messages_ok = 100;
  tool.breaches["standard"]["bot_attempt"] = 5;
  // The server had counted 3 when it was read; 2 more reached the supervisor afterwards.
  const auto more = cross_check(snapshot(0, 0, 0), snapshot(100, 3, 0), 5, tool);
  EXPECT_EQ(more.disagreements(), 0u);
  // Fewer seen than counted is a breach that never reached the supervisor.
  tool.breaches["standard"]["bot_attempt"] = 2;
  const auto fewer = cross_check(snapshot(0, 0, 0), snapshot(100, 3, 0), 5, tool);
  EXPECT_EQ(fewer.disagreements(), 1u);
}

TEST(ServerCheck, TheToolWaitsUntilItSawEveryBreachTheServerCounted) {
  tool_tally tool;
  const auto before = snapshot(0, 1, 0);
  const auto after = snapshot(0, 4, 0);
  tool.breaches["standard"]["bot_attempt"] = 2;
  EXPECT_FALSE(saw_counted_breaches(before, after, tool));
  tool.breaches["standard"]["bot_attempt"] = 3;
  EXPECT_TRUE(saw_counted_breaches(before, after, tool));
  // A tier the tool saw no breach of at all.
  auto other_tier = after;
  other_tier.samples[R"(blendroute_sla_breaches_total{tier="priority",sla="offer_accept"})"] = 1;
  EXPECT_FALSE(saw_counted_breaches(before, other_tier, tool));
}

TEST(ServerCheck, AWindowThatSlidDuringTheRunIsACaveat) {
  tool_tally tool;
  auto before = snapshot(0, 0, 0);
  before.kpi_observed_s = 890;
  const auto check = cross_check(before, snapshot(0, 0, 0), 20, tool);
  ASSERT_EQ(check.caveats.size(), 1u);
  EXPECT_NE(check.caveats[0].find("slid"), std::string::npos);
}

TEST(ServerCheck, AFailedSnapshotMakesNoComparison) {
  server_snapshot failed;
  failed.error = "GET /metrics from 127.0.0.1:1: Connection refused";
  const auto check = cross_check(failed, snapshot(0, 0, 0), 1, tool_tally{});
  EXPECT_EQ(check.unavailable, failed.error);
  EXPECT_TRUE(check.rows.empty());
}

TEST(ServerCheck, ANoServerAddressIsAnErrorNotAHang) {
  const auto s = fetch_server_snapshot("nonsense", "", std::chrono::seconds(1));
  EXPECT_NE(s.error.find("host:port"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace blendroute::load
