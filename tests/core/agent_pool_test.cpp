// Agent selection: tier priority, oldest first, skills, capacity, longest idle.
#include "core/agent_pool.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::seconds;

class AgentPoolTest : public ::testing::Test {
protected:
  AgentPoolTest() {
    pool_.set_tier_priority("standard", 0);
    pool_.set_tier_priority("priority", 10);
  }

  void announce(const std::string& agent, int capacity, std::vector<std::string> skills = {},
                agent_presence presence = agent_presence::available) {
    ingress_event status;
    status.type = event_type::agent_status;
    status.agent = agent;
    status.presence = presence;
    status.capacity = capacity;
    status.skills = std::move(skills);
    orphaned_ = pool_.update_status(status, now_);
  }

  void queue(const std::string& conv, const std::string& tier, std::vector<std::string> skills = {},
             bool at_head = false, std::string excluded = {}) {
    pool_.enqueue({conv, tier, now_, std::move(skills), std::move(excluded), {}, {}, {}}, at_head);
  }

  agent_pool pool_{"o"};
  time_point now_ = from_unix_ms(1'700'000'000'000);
  std::vector<std::string> orphaned_;
};

TEST_F(AgentPoolTest, PriorityConversationIsServedBeforeAnOlderStandardOne) {
  queue("old-standard", "standard");
  now_ += seconds{30};
  queue("new-priority", "priority");
  announce("ana", 1);

  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "new-priority");
  EXPECT_EQ(pool_.queue_depth("standard"), 1u);
}

TEST_F(AgentPoolTest, ADroppedConversationFreesItsAgentAndItsQueuePlace) {
  queue("given-up", "standard");
  announce("ana", 1);
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].conv, "given-up");
  queue("waiting", "standard");
  queue("also-given-up", "standard");
  EXPECT_TRUE(pool_.assign(now_).empty()) << "ana is full";

  EXPECT_EQ(pool_.drop_conversation("given-up", now_), std::vector<std::string>{"ana"});
  EXPECT_TRUE(pool_.drop_conversation("also-given-up", now_).empty());

  EXPECT_EQ(pool_.queue_depth("standard"), 1u);
  offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "waiting");
  EXPECT_EQ(offers[0].agent, "ana");
  EXPECT_EQ(pool_.queue_depth("standard"), 0u);
}

TEST_F(AgentPoolTest, OldestEscalationFirstWithinATier) {
  queue("first", "standard");
  queue("second", "standard");
  announce("ana", 1);

  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "first");
}

TEST_F(AgentPoolTest, LongestIdleAgentIsChosen) {
  announce("busy-recently", 2);
  queue("warmup", "standard");
  pool_.assign(now_);  // busy-recently takes warmup and is no longer idle since now.
  now_ += seconds{10};
  announce("idle-longer", 2);
  now_ += seconds{10};
  pool_.release("busy-recently", "warmup", now_);

  queue("next", "standard");
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "idle-longer");
}

TEST_F(AgentPoolTest, NeverOffersAnAgentMoreThanItsCapacity) {
  announce("ana", 2);
  queue("c1", "standard");
  queue("c2", "standard");
  queue("c3", "standard");

  auto offers = pool_.assign(now_);
  EXPECT_EQ(offers.size(), 2u);
  EXPECT_EQ(pool_.queue_depth("standard"), 1u);
  EXPECT_TRUE(pool_.assign(now_).empty());

  pool_.release("ana", "c1", now_);
  auto more = pool_.assign(now_);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].conv, "c3");
}

TEST_F(AgentPoolTest, RequiredSkillsMustAllBePresent) {
  announce("generalist", 3);
  queue("needs-billing", "standard", {"billing"});
  EXPECT_TRUE(pool_.assign(now_).empty());

  announce("biller", 1, {"billing", "spanish"});
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "biller");
}

TEST_F(AgentPoolTest, ReturningCustomerWaitsForThePreviousAgentThenTakesAnyone) {
  announce("ana", 1);
  announce("bob", 1);
  queue("hold", "standard");
  auto first = pool_.assign(now_);  // The longest idle agent takes "hold".
  ASSERT_EQ(first.size(), 1u);
  const std::string busy = first[0].agent;
  const std::string free = busy == "ana" ? "bob" : "ana";

  pool_.enqueue({"back", "standard", now_, {}, {}, {}, busy, now_ + seconds{60}}, false);
  EXPECT_TRUE(pool_.assign(now_).empty()) << "waits for " << busy;

  now_ += seconds{61};
  auto later = pool_.assign(now_);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].agent, free);
}

TEST_F(AgentPoolTest, ReturningCustomerGetsThePreviousAgentWhenFree) {
  announce("ana", 1);
  announce("bob", 1);
  pool_.enqueue({"back", "standard", now_, {}, {}, {}, "bob", now_ + seconds{60}}, false);
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "bob");
}

TEST_F(AgentPoolTest, RelaxedSkillsKeepTheQueuePosition) {
  queue("needs-two", "standard", {"billing", "spanish"});
  queue("later", "standard");
  announce("biller", 1, {"billing"});
  pool_.withdraw("later");  // Only the skilled conversation is waiting now.
  EXPECT_TRUE(pool_.assign(now_).empty());

  queue("later", "standard");
  pool_.relax_skills("needs-two");
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "needs-two");
}

TEST_F(AgentPoolTest, DecliningAgentIsOfferedAgainOnlyWhenNoOtherIsEligible) {
  announce("ana", 1);
  announce("bob", 1);
  queue("c1", "standard", {}, true, "ana");
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "bob");

  queue("c2", "standard", {}, true, "ana");
  offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agent, "ana");
}

TEST_F(AgentPoolTest, AwayAgentKeepsItsConversationsButGetsNoOffers) {
  announce("ana", 2);
  queue("c1", "standard");
  pool_.assign(now_);
  announce("ana", 2, {}, agent_presence::away);

  EXPECT_TRUE(orphaned_.empty());
  queue("c2", "standard");
  EXPECT_TRUE(pool_.assign(now_).empty());
  EXPECT_EQ(pool_.find_agent("ana")->conversations.size(), 1u);
}

TEST_F(AgentPoolTest, AnAgentWithoutAConnectionGetsNoOffersUntilItIsBack) {
  announce("ana", 2);
  queue("c1", "standard");
  ASSERT_EQ(pool_.assign(now_).size(), 1u);

  const auto held = pool_.set_connected("ana", false, now_);
  EXPECT_EQ(held, std::vector<std::string>{"c1"}) << "what it holds, for its offers to go";
  queue("c2", "standard");
  EXPECT_TRUE(pool_.assign(now_).empty());

  pool_.set_connected("ana", true, now_);
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "c2");
}

TEST_F(AgentPoolTest, OfflineAgentGivesBackItsConversations) {
  announce("ana", 2);
  queue("c1", "standard");
  pool_.assign(now_);
  announce("ana", 2, {}, agent_presence::offline);

  EXPECT_EQ(orphaned_, std::vector<std::string>{"c1"});
  EXPECT_TRUE(pool_.find_agent("ana")->conversations.empty());
}

TEST_F(AgentPoolTest, AConversationReturnedAtTheHeadIsServedBeforeOlderWaitingOnes) {
  queue("waiting-longest", "standard");
  now_ += seconds{30};
  queue("waiting", "standard");
  now_ += seconds{30};
  // Its agent went offline: it goes back in front of the queue, not behind it.
  queue("returned", "standard", {}, true);
  announce("ana", 1);

  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "returned");
  EXPECT_EQ(pool_.queue_depth("standard"), 2u);
}

TEST_F(AgentPoolTest, ARaisedConversationGoesToTheHeadOfItsTierQueue) {
  queue("oldest", "standard");
  now_ += seconds{10};
  queue("breached", "standard");  // Its human_response matrix says `priority`.
  pool_.raise_priority("breached");
  pool_.raise_priority("not-queued");  // Gone meanwhile: nothing to do.
  announce("ana", 1);

  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].conv, "breached");
  EXPECT_EQ(pool_.queue_depth("standard"), 1u);
}

TEST_F(AgentPoolTest, OfferIdsAreUnique) {
  announce("ana", 5);
  queue("c1", "standard");
  queue("c2", "standard");
  auto offers = pool_.assign(now_);
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_NE(offers[0].offer, offers[1].offer);
}

TEST_F(AgentPoolTest, WithdrawnConversationIsNotOffered) {
  queue("c1", "standard");
  pool_.withdraw("c1");
  announce("ana", 1);
  EXPECT_TRUE(pool_.assign(now_).empty());
}

TEST_F(AgentPoolTest, FullQueueTurnsNewEscalationsAwayButTakesReturningOnes) {
  pool_.set_queue_limit("standard", 2);
  EXPECT_TRUE(pool_.enqueue({"c1", "standard", now_, {}, {}, {}, {}, {}}, false));
  EXPECT_TRUE(pool_.enqueue({"c2", "standard", now_, {}, {}, {}, {}, {}}, false));
  EXPECT_FALSE(pool_.enqueue({"c3", "standard", now_, {}, {}, {}, {}, {}}, false));
  EXPECT_TRUE(pool_.enqueue({"declined", "standard", now_, {}, "ana", {}, {}, {}}, true));
  EXPECT_EQ(pool_.queue_depth("standard"), 3u);
  EXPECT_TRUE(pool_.enqueue({"c3", "priority", now_, {}, {}, {}, {}, {}}, false));
}

TEST_F(AgentPoolTest, LongestWaitIsMeasuredFromTheOldestEscalation) {
  queue("c1", "standard");
  now_ += seconds{7};
  queue("c2", "standard");
  EXPECT_EQ(pool_.longest_wait("standard", now_), seconds{7});
}

}  // namespace
}  // namespace blendroute
