// The session registry: which gateway gets a conversation's replies, and for how long.
#include "net/session_registry.hpp"

#include <gtest/gtest.h>

#include "net/frame_encoder.hpp"

namespace blendroute::net {
namespace {

/// A connection that keeps what it was sent.
class recording_session final : public session {
public:
  void deliver(std::shared_ptr<const std::string> line) override { lines.push_back(*line); }

  std::vector<std::string> lines;
};

egress_frame reply_for(const std::string& conv, const std::string& delivery) {
  egress_frame frame;
  frame.type = egress_type::customer_deliver;
  frame.conv = conv;
  frame.delivery = delivery;
  frame.text = "hello";
  return frame;
}

TEST(SessionRegistry, RepliesGoToTheGatewayThatCarriesTheConversation) {
  session_registry registry;
  auto first = std::make_shared<recording_session>();
  auto second = std::make_shared<recording_session>();
  registry.add(first, role::gateway, {});
  registry.add(second, role::gateway, {});
  registry.carry("c1", second);

  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(registry.send_to_gateway(reply_for("c1", "c1#" + std::to_string(i))));
  }
  EXPECT_EQ(second->lines.size(), 4U);
  EXPECT_TRUE(first->lines.empty());
}

TEST(SessionRegistry, AForgottenConversationLosesItsCarrierAndAnyGatewayTakesItsReplies) {
  session_registry registry;
  auto first = std::make_shared<recording_session>();
  auto second = std::make_shared<recording_session>();
  registry.add(first, role::gateway, {});
  registry.add(second, role::gateway, {});
  registry.carry("c1", second);
  registry.carry("c2", second);
  registry.carry("c3", first);
  ASSERT_EQ(registry.carried_conversations(), 3U);

  registry.forget_conversations({"c1", "c3", "never-carried"});

  EXPECT_EQ(registry.carried_conversations(), 1U);
  // c2 keeps its gateway; c1 is answered by the gateways in turn, like an unknown one.
  EXPECT_TRUE(registry.send_to_gateway(reply_for("c2", "c2#1")));
  EXPECT_EQ(second->lines.size(), 1U);
  EXPECT_TRUE(registry.send_to_gateway(reply_for("c1", "c1#1")));
  EXPECT_TRUE(registry.send_to_gateway(reply_for("c1", "c1#2")));
  EXPECT_EQ(first->lines.size() + second->lines.size(), 3U);
  EXPECT_EQ(first->lines.size(), 1U);
}

egress_frame state_of(const std::string& conv) {
  egress_frame frame;
  frame.type = egress_type::conversation_state;
  frame.conv = conv;
  frame.state = "queued";
  return frame;
}

TEST(SessionRegistry, WhatSupervisorsMissedWhileNoneWasConnectedGoesToTheNextOne) {
  session_registry registry;
  // At start-up, before any supervisor is back: breaches that fired at once, say.
  registry.send_to_supervisors(state_of("c1"));
  registry.send_to_supervisors(state_of("c2"));

  auto supervisor = std::make_shared<recording_session>();
  registry.add(supervisor, role::supervisor, {});
  registry.send_to_supervisors(state_of("c3"));
  ASSERT_EQ(supervisor->lines.size(), 3U);
  EXPECT_NE(supervisor->lines[0].find(R"("conv":"c1")"), std::string::npos) << supervisor->lines[0];
  EXPECT_NE(supervisor->lines[1].find(R"("conv":"c2")"), std::string::npos);
  EXPECT_NE(supervisor->lines[2].find(R"("conv":"c3")"), std::string::npos);

  // Given once: a second supervisor gets only what is sent from now on.
  auto another = std::make_shared<recording_session>();
  registry.add(another, role::admin, {});
  EXPECT_TRUE(another->lines.empty());
}

TEST(SessionRegistry, TheSupervisorBacklogKeepsTheNewestAndCountsWhatItDrops) {
  session_registry registry;
  const std::size_t sent = session_registry::supervisor_backlog_lines + 5;
  for (std::size_t i = 0; i < sent; ++i) {
    registry.send_to_supervisors(state_of("c" + std::to_string(i)));
  }
  auto supervisor = std::make_shared<recording_session>();
  registry.add(supervisor, role::supervisor, {});
  ASSERT_EQ(supervisor->lines.size(), session_registry::supervisor_backlog_lines);
  EXPECT_NE(supervisor->lines.front().find(R"("conv":"c5")"), std::string::npos);
  EXPECT_EQ(registry.counters().supervisor_frames_dropped.load(), 5U);
}

TEST(SessionRegistry, TheSupervisorBacklogFitsInWhatASupervisorMayLeaveUnread) {
  session_registry registry;
  std::string one_frame;
  encode_egress(one_frame, state_of("c-10"));
  const std::size_t frame_bytes = one_frame.size();  // Every c-NN frame is as long.
  registry.limit_supervisor_backlog(frame_bytes * 10);
  for (int i = 10; i < 30; ++i) {
    registry.send_to_supervisors(state_of("c-" + std::to_string(i)));
  }
  auto supervisor = std::make_shared<recording_session>();
  registry.add(supervisor, role::supervisor, {});
  ASSERT_EQ(supervisor->lines.size(), 10U);
  EXPECT_NE(supervisor->lines.front().find(R"("conv":"c-20")"), std::string::npos);
  EXPECT_EQ(registry.counters().supervisor_frames_dropped.load(), 10U);
}

/// A receiver as fast as an I/O thread can be: it acknowledges each delivery while the
/// router is still sending it.
class acknowledging_session final : public session {
public:
  acknowledging_session(session_registry& registry, role who, std::string agent)
      : registry_(registry), who_(who), agent_(std::move(agent)) {}

  void deliver(std::shared_ptr<const std::string> line) override {
    const auto at = line->find("\"delivery\":\"");
    ASSERT_NE(at, std::string::npos) << *line;
    const auto start = at + 12;
    const std::string delivery = line->substr(start, line->find('"', start) - start);
    // Someone else may not acknowledge it; its receiver may.
    others_refused = !registry_.may_acknowledge(delivery, role::gateway, {});
    if (registry_.may_acknowledge(delivery, who_, agent_)) {
      registry_.acknowledge(delivery);
    }
  }

  bool others_refused = false;

private:
  session_registry& registry_;
  role who_;
  std::string agent_;
};

TEST(SessionRegistry, ADeliveryAcknowledgedWhileItIsBeingSentIsKnownAndNotSentAgain) {
  session_registry registry;
  auto ana = std::make_shared<acknowledging_session>(registry, role::agent, "ana");
  registry.add(ana, role::agent, "ana");
  egress_frame offer;
  offer.type = egress_type::agent_offer;
  offer.conv = "c1";
  offer.agent = "ana";
  offer.offer = "o1";
  offer.delivery = "c1#1.1";

  ASSERT_TRUE(registry.send_to_agent("ana", offer));

  EXPECT_TRUE(ana->others_refused) << "the delivery was not tracked when it reached ana";
  EXPECT_EQ(registry.pending_deliveries(), 0U) << "ana's acknowledgement was lost";
}

}  // namespace
}  // namespace blendroute::net
