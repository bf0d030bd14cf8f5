// The report of blendroute-load closed/open: which acks and latencies it counts, and how it
// prints them.

#include "bench/load/loop_report.hpp"

#include <chrono>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace blendroute::load {
namespace {

using namespace std::chrono_literals;

class LoopReportTest : public ::testing::Test {
protected:
  void SetUp() override {
    report_.started = true;
    window_.open(start_);
  }

  // Counts the ack of a message sent `sent` after the window opened and answered `latency`
  // later.
  void ack(std::chrono::nanoseconds sent, std::chrono::nanoseconds latency) {
    report_.count_customer_ack(window_, start_ + sent + latency, latency, "ok");
  }

  std::string printed() const {
    std::ostringstream out;
    print_loop_report(out, report_);
    return out.str();
  }

  const measured_window::clock::time_point start_{std::chrono::seconds{1000}};
  measured_window window_;
  loop_report report_;
};

TEST_F(LoopReportTest, IngressToAckCountsAMessageSentInTheWindowWhoseAckComesInTheDrain) {
  ack(7'990ms, 5ms);  // Acked inside the window.
  window_.close(start_ + 8s);
  ack(7'995ms, 30ms);  // Sent in the window, acked in the drain.

  EXPECT_EQ(report_.ingress_ack.count(), 2u);
  EXPECT_EQ(report_.ingress_ack.max(), 30ms);
  EXPECT_EQ(report_.measured_acks(), 1u) << "the throughput counts acks arriving in the window";
  EXPECT_EQ(report_.drain_acks, 1u);
}

TEST_F(LoopReportTest, IngressToAckLeavesOutAWarmUpMessageWhoseAckComesInTheWindow) {
  ack(-2ms, 40ms);

  EXPECT_EQ(report_.ingress_ack.count(), 0u);
  EXPECT_EQ(report_.measured_acks(), 1u);
}

TEST_F(LoopReportTest, IngressToAckLeavesOutWarmUpAndDrainMessages) {
  measured_window before;
  report_.count_customer_ack(before, start_ - 1s, 1ms, "ok");
  EXPECT_EQ(report_.warmup_acks, 1u);

  window_.close(start_ + 8s);
  ack(8'001ms, 1ms);  // Sent after the window (open loop: a message due in the drain).

  EXPECT_EQ(report_.ingress_ack.count(), 0u);
  EXPECT_EQ(report_.drain_acks, 1u);
}

TEST_F(LoopReportTest, EveryWholeSecondOfTheWindowIsSummarisedAsInTheJson) {
  for (int second = 0; second < 8; ++second) {
    ack(std::chrono::seconds{second} + 100ms, 1ms);
  }
  ack(8'000ms, 1ms);  // In the sliver of the ninth second before the window closed.
  report_.close_window(8'002ms);

  EXPECT_EQ(report_.acks_per_second.size(), 8u);
  EXPECT_NE(printed().find("(8 whole seconds)"), std::string::npos) << printed();
  EXPECT_NE(loop_report_json(report_).find("\"acks_per_second\":[1,1,1,1,1,1,1,1]"),
            std::string::npos)
      << loop_report_json(report_);
}

TEST_F(LoopReportTest, ASecondWithoutAcksCountsAsZero) {
  ack(100ms, 1ms);
  report_.close_window(3s);  // Nothing acked in the last two seconds: the router stalled.

  EXPECT_EQ(report_.acks_per_second, (std::vector<std::uint64_t>{1, 0, 0}));
  EXPECT_NE(printed().find("min 0  median 0  max 1  (3 whole seconds)"), std::string::npos)
      << printed();
}

TEST_F(LoopReportTest, AThinkTimeUnderASecondIsPrintedInMilliseconds) {
  report_.think_seconds = 0.05;
  EXPECT_NE(printed().find("think 50 ms;"), std::string::npos) << printed();
  report_.think_seconds = 1.5;
  EXPECT_NE(printed().find("think 1.5 s;"), std::string::npos) << printed();
  report_.think_seconds = 0;
  EXPECT_NE(printed().find("think 0 s;"), std::string::npos) << printed();
}

TEST_F(LoopReportTest, EveryLatencyShowsP90AndP999) {
  ack(1s, 2ms);
  const std::string out = printed();
  const auto line = out.substr(out.find("ingress->ack"));
  EXPECT_NE(line.find("p90 "), std::string::npos) << out;
  EXPECT_NE(line.find("p99.9 "), std::string::npos) << out;
}

}  // namespace
}  // namespace blendroute::load
