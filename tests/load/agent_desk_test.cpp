// The agents of blendroute-load closed/open: a reply to each customer message, and a resolve
// only after the reply to the last one.

#include "bench/load/agent_desk.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace blendroute::load {
namespace {

using namespace std::chrono_literals;

class AgentDeskTest : public ::testing::Test {
protected:
  // Everything due `at` after the start.
  std::vector<agent_step> due(std::chrono::nanoseconds at) {
    std::vector<agent_step> steps;
    desk_.take_due(start_ + at, steps);
    return steps;
  }

  const agent_desk::clock::time_point start_{std::chrono::seconds{100}};
  agent_desk desk_{50ms};
};

TEST_F(AgentDeskTest, RepliesOnlyOnceTheThinkTimeIsOver) {
  desk_.assigned(3, "c1", true, start_);
  ASSERT_TRUE(desk_.has_work());
  EXPECT_EQ(desk_.next_due(), start_ + 50ms);
  EXPECT_TRUE(due(49ms).empty());

  const auto steps = due(50ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].agent, 3u);
  EXPECT_EQ(steps[0].conv, "c1");
  EXPECT_FALSE(desk_.has_work());
}

TEST_F(AgentDeskTest, ResolvesAtTheFirstReplyWhenTheCustomerHadFinishedBeforeTheAssignment) {
  desk_.assigned(0, "c1", true, start_);

  const auto steps = due(50ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_TRUE(steps[0].resolve);
  EXPECT_EQ(desk_.owned(), 0u);
}

// The defect this desk fixes: the agent resolved after its first reply while the customer still
// had a message to send, which then reopened the conversation and escalated it a second time.
TEST_F(AgentDeskTest, DoesNotResolveWhileTheCustomerHasMoreToSay) {
  desk_.assigned(0, "c1", false, start_);
  auto steps = due(50ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_FALSE(steps[0].resolve);
  EXPECT_EQ(desk_.owned(), 1u);

  desk_.message(0, "c1", false, start_ + 60ms);
  steps = due(110ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_FALSE(steps[0].resolve);

  desk_.message(0, "c1", true, start_ + 120ms);
  steps = due(170ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_TRUE(steps[0].resolve) << "the reply to the last message resolves";
  EXPECT_EQ(desk_.owned(), 0u);
}

TEST_F(AgentDeskTest, ALastMessageInTheTranscriptIsAnsweredWhenItsAckComesAfterTheAssignment) {
  // The router applied the last message before the assignment, but its ack reached the tool
  // only after `agent.assigned`: no `agent.message` will come.
  desk_.assigned(0, "c1", false, start_);
  auto steps = due(50ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_FALSE(steps[0].resolve);

  desk_.customer_done("c1", start_ + 70ms);
  steps = due(120ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_TRUE(steps[0].resolve);
}

TEST_F(AgentDeskTest, TheLastMessagesAckAndItsAgentMessageAreAnsweredOnce) {
  desk_.assigned(0, "c1", false, start_);
  desk_.customer_done("c1", start_ + 10ms);     // The ack comes first...
  desk_.message(0, "c1", true, start_ + 11ms);  // ...then the message itself.

  auto steps = due(60ms);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_TRUE(steps[0].resolve) << "the reply due since the assignment comes after the ack";
  EXPECT_FALSE(desk_.has_work());
  EXPECT_TRUE(due(200ms).empty());
}

TEST_F(AgentDeskTest, AnAckThatCrossesADueReplyResolvesWithThatReply) {
  desk_.assigned(0, "c1", false, start_);
  desk_.message(0, "c1", false, start_ + 20ms);
  desk_.customer_done("c1", start_ + 30ms);

  const auto steps = due(70ms);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_FALSE(steps[0].resolve);
  EXPECT_TRUE(steps[1].resolve) << "only the last reply due resolves";
  EXPECT_EQ(desk_.owned(), 0u);
}

TEST_F(AgentDeskTest, AMessageForAConversationTheAgentDoesNotOwnIsIgnored) {
  desk_.message(0, "c1", true, start_);
  desk_.assigned(1, "c2", false, start_);
  desk_.message(0, "c2", true, start_);

  const auto steps = due(1s);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].conv, "c2");
  EXPECT_FALSE(steps[0].resolve);
}

TEST_F(AgentDeskTest, ARevokedConversationGetsNoMoreWork) {
  desk_.assigned(0, "c1", true, start_);
  desk_.revoked(0, "c1");

  EXPECT_TRUE(due(1s).empty());
  EXPECT_EQ(desk_.owned(), 0u);
}

TEST_F(AgentDeskTest, WorkOfAnEarlierOwnershipIsDroppedWhenTheConversationComesBack) {
  desk_.assigned(0, "c1", false, start_);
  desk_.revoked(0, "c1");
  desk_.assigned(2, "c1", true, start_ + 10ms);

  const auto steps = due(1s);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].agent, 2u);
  EXPECT_TRUE(steps[0].resolve);
}

}  // namespace
}  // namespace blendroute::load
