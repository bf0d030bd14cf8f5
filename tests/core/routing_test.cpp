// A new conversation's tier and required skills from the routing rules and intents.
#include "core/routing.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

class RoutingTest : public ::testing::Test {
protected:
  RoutingTest() : cfg_(default_config()) {
    cfg_.routing = {{"domain", "bank", "priority", {}},
                    {"lang", "de", "", {"german"}},
                    {"domain", "bank", "", {"payments", "german"}}};
    cfg_.intent_skills = {{"report_fraud", {"fraud"}}};
  }

  static ingress_event opening(std::vector<std::pair<std::string, std::string>> attrs,
                               std::string tier = {}) {
    ingress_event e;
    e.type = event_type::customer_message;
    e.conv = "c1";
    e.attrs = std::move(attrs);
    e.tier = std::move(tier);
    return e;
  }

  config cfg_;
};

TEST_F(RoutingTest, NoMatchingRuleTakesTheDefaultTierAndNoSkills) {
  auto decision = route_new_conversation(opening({{"domain", "travel"}}), cfg_);
  EXPECT_EQ(decision.tier, "standard");
  EXPECT_TRUE(decision.skills.empty());
}

TEST_F(RoutingTest, TheFirstRuleNamingATierChoosesItAndEveryMatchAddsItsSkills) {
  auto decision = route_new_conversation(opening({{"lang", "de"}, {"domain", "bank"}}), cfg_);
  EXPECT_EQ(decision.tier, "priority");
  EXPECT_EQ(decision.skills, (std::vector<std::string>{"german", "payments"}));
}

TEST_F(RoutingTest, TheEventsOwnTierWinsButRulesStillAddSkills) {
  auto decision = route_new_conversation(opening({{"lang", "de"}}, "priority"), cfg_);
  EXPECT_EQ(decision.tier, "priority");
  EXPECT_EQ(decision.skills, std::vector<std::string>{"german"});
}

TEST_F(RoutingTest, AnIntentRequiresTheSkillsConfiguredForIt) {
  const auto* skills = skills_for_intent(cfg_, "report_fraud");
  ASSERT_NE(skills, nullptr);
  EXPECT_EQ(*skills, std::vector<std::string>{"fraud"});
  EXPECT_EQ(skills_for_intent(cfg_, "weather"), nullptr);
}

TEST_F(RoutingTest, ARuleWithNeitherTierNorSkillsIsInvalid) {
  cfg_.routing.push_back({"lang", "fr", "", {}});
  cfg_.intent_skills.push_back({"billing", {}});
  auto problems = validate(cfg_);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].key, "routing.rule");
  EXPECT_EQ(problems[1].key, "routing.intent_skills.billing");
}

}  // namespace
}  // namespace blendroute
