// Deliveries re-sent with backoff until acknowledged, held for receivers that are away.
#include "net/delivery_tracker.hpp"

#include <gtest/gtest.h>

namespace blendroute::net {
namespace {

using std::chrono::milliseconds;

class DeliveryTrackerTest : public ::testing::Test {
protected:
  using kind = delivery_receiver::kind;

  static std::shared_ptr<const std::string> line(const std::string& text) {
    return std::make_shared<const std::string>(text);
  }

  /// Runs a resend pass at `now` with the receivers connected or not; returns what went out.
  std::vector<std::string> resend_at(milliseconds since_start, bool connected = true) {
    std::vector<std::string> sent;
    tracker_.resend_due(start_ + since_start,
                        [&](const delivery_receiver&, const std::shared_ptr<const std::string>& l) {
                          if (connected) {
                            sent.push_back(*l);
                          }
                          return connected;
                        });
    return sent;
  }

  delivery_tracker tracker_{3};
  delivery_tracker::clock::time_point start_ = delivery_tracker::clock::now();
};

TEST_F(DeliveryTrackerTest, AnUnacknowledgedDeliveryIsSentAgainWithDoublingBackoff) {
  tracker_.track("d1", {kind::gateway, {}, "c1"}, line("reply"), true, start_);

  EXPECT_TRUE(resend_at(milliseconds{999}).empty());
  EXPECT_EQ(resend_at(milliseconds{1000}), std::vector<std::string>{"reply"});
  EXPECT_TRUE(resend_at(milliseconds{2999}).empty()) << "the next wait is two seconds";
  EXPECT_EQ(resend_at(milliseconds{3000}), std::vector<std::string>{"reply"});

  tracker_.acknowledge("d1");
  EXPECT_TRUE(resend_at(milliseconds{60'000}).empty());
  EXPECT_EQ(tracker_.pending(), 0u);
}

TEST_F(DeliveryTrackerTest, ADeliveryWaitsForAnAbsentReceiverAndGoesWhenItIsBack) {
  tracker_.track("d1", {kind::agent, "ana", "c1"}, line("offer"), false, start_);
  EXPECT_TRUE(resend_at(milliseconds{5000}).empty()) << "nobody to send it to yet";

  tracker_.wake([](const delivery_receiver& to) { return to.agent == "bob"; },
                start_ + milliseconds{6000});
  EXPECT_TRUE(resend_at(milliseconds{6000}).empty()) << "bob is not its receiver";
  tracker_.wake([](const delivery_receiver& to) { return to.agent == "ana"; },
                start_ + milliseconds{7000});
  EXPECT_EQ(resend_at(milliseconds{7000}), std::vector<std::string>{"offer"});
}

TEST_F(DeliveryTrackerTest, OnlyItsReceiverMayAcknowledgeADelivery) {
  tracker_.track("to-ana", {kind::agent, "ana", "c1"}, line("offer"), true, start_);
  tracker_.track("to-bot", {kind::bot, {}, "c2"}, line("request"), true, start_);

  EXPECT_TRUE(tracker_.may_acknowledge("to-ana", role::agent, "ana"));
  EXPECT_FALSE(tracker_.may_acknowledge("to-ana", role::agent, "bob"));
  EXPECT_FALSE(tracker_.may_acknowledge("to-ana", role::gateway, ""));
  EXPECT_TRUE(tracker_.may_acknowledge("to-bot", role::bot, ""));
  EXPECT_TRUE(tracker_.may_acknowledge("unknown", role::gateway, "")) << "acknowledged before";
}

TEST_F(DeliveryTrackerTest, RevokingAnAgentStopsWhatItWasSentAboutThatConversation) {
  tracker_.track("offer-c1", {kind::agent, "ana", "c1"}, line("offer c1"), true, start_);
  tracker_.track("offer-c2", {kind::agent, "ana", "c2"}, line("offer c2"), true, start_);
  tracker_.cancel_for_agent("ana", "c1");
  EXPECT_EQ(resend_at(milliseconds{1000}), std::vector<std::string>{"offer c2"});
}

TEST_F(DeliveryTrackerTest, BeyondItsLimitTheOldestDeliveryIsDropped) {
  for (int i = 0; i < 4; ++i) {
    tracker_.track("d" + std::to_string(i), {kind::gateway, {}, "c"},
                   line("reply " + std::to_string(i)), true, start_);
  }
  EXPECT_EQ(tracker_.pending(), 3u);
  EXPECT_EQ(tracker_.dropped(), 1u);
  const auto sent = resend_at(milliseconds{1000});
  EXPECT_EQ(sent, (std::vector<std::string>{"reply 1", "reply 2", "reply 3"}));
}

}  // namespace
}  // namespace blendroute::net
