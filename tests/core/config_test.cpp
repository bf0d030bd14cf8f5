// Defaults, validation and duration parsing of the configuration.
#include "core/config.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

TEST(Config, DefaultsMatchTheTiersOfTheDesign) {
  config cfg = default_config();
  const tier_policy* standard = cfg.find_tier("standard");
  const tier_policy* priority = cfg.find_tier("priority");
  ASSERT_NE(standard, nullptr);
  ASSERT_NE(priority, nullptr);
  EXPECT_EQ(standard->bot_attempt, std::chrono::seconds{5});
  EXPECT_EQ(standard->bot_max_turns, 3);
  EXPECT_EQ(standard->human_response, std::chrono::seconds{60});
  EXPECT_EQ(standard->offer_accept, std::chrono::seconds{15});
  EXPECT_EQ(priority->bot_attempt, std::chrono::seconds{2});
  EXPECT_EQ(priority->bot_max_turns, 2);
  EXPECT_EQ(priority->human_response, std::chrono::seconds{30});
  EXPECT_EQ(priority->offer_accept, std::chrono::seconds{10});
  EXPECT_GT(priority->priority, standard->priority);
  EXPECT_TRUE(validate(cfg).empty());
}

TEST(Config, ValidationReportsEveryProblemWithItsKey) {
  config cfg = default_config();
  cfg.tiers[0].bot_max_turns = 0;
  cfg.tiers[1].offer_accept = duration{0};
  cfg.runtime.policy = "fastest";
  cfg.routing.push_back({"domain", "bank", "gold", {}});

  auto problems = validate(cfg);
  std::vector<std::string> keys;
  for (const auto& p : problems) {
    keys.push_back(p.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"runtime.policy", "tiers.standard.bot_max_turns",
                                            "tiers.priority.offer_accept", "routing.rule"}));
}

TEST(Config, OverflowMustTargetAConfiguredTier) {
  config cfg = default_config();
  cfg.tiers[0].escalation.push_back(
      {sla_kind::human_response, duration{0}, escalation_action::overflow, "nowhere"});
  ASSERT_EQ(validate(cfg).size(), 1u);
  EXPECT_EQ(validate(cfg)[0].key, "tiers.standard.escalation");
}

TEST(Config, QueueOverflowMustTargetAnotherTier) {
  config cfg = default_config();
  cfg.tiers[0].when_queue_full = queue_full_action::overflow;
  cfg.tiers[0].queue_full_target = "standard";
  ASSERT_EQ(validate(cfg).size(), 1u);
  EXPECT_EQ(validate(cfg)[0].key, "tiers.standard.queue_full_target");
  cfg.tiers[0].queue_full_target = "priority";
  EXPECT_TRUE(validate(cfg).empty());
}

TEST(Config, ScalingDividesEverySla) {
  config cfg = default_config();
  scale_slas(cfg, 10);
  EXPECT_EQ(cfg.find_tier("standard")->bot_attempt, std::chrono::milliseconds{500});
  EXPECT_EQ(cfg.find_tier("priority")->human_response, std::chrono::seconds{3});
}

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("800ms"), std::chrono::milliseconds{800});
  EXPECT_EQ(*parse_duration("5s"), std::chrono::seconds{5});
  EXPECT_EQ(*parse_duration("2m"), std::chrono::minutes{2});
  EXPECT_EQ(*parse_duration("1h"), std::chrono::hours{1});
  EXPECT_EQ(*parse_duration("7d"), std::chrono::hours{7 * 24});
}

TEST(Duration, RejectsMalformedText) {
  EXPECT_FALSE(parse_duration("5").ok());
  EXPECT_FALSE(parse_duration("s").ok());
  EXPECT_FALSE(parse_duration("-5s").ok());
  EXPECT_FALSE(parse_duration("5 s").ok());
  EXPECT_FALSE(parse_duration("5w").ok());
}

TEST(Duration, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(std::chrono::milliseconds{800}), "800ms");
  EXPECT_EQ(format_duration(std::chrono::seconds{90}), "90s");
  EXPECT_EQ(format_duration(std::chrono::minutes{2}), "2m");
  EXPECT_EQ(format_duration(std::chrono::hours{48}), "2d");
}

}  // namespace
}  // namespace blendroute

namespace blendroute {
namespace {

TEST(ConfigReload, TiersSettingsAndRoutingApplyLiveTheRestWaitsForARestart) {
  const config running = default_config();
  config next = running;
  next.tiers[0].offer_accept = duration{300};
  next.routing.push_back({"plan", "gold", "priority", {}});
  next.listener.max_frame_bytes = 4096;
  next.journal.sync = sync_mode::none;

  const auto restart_only = restart_only_changes(running, next);
  EXPECT_EQ(restart_only, (std::vector<std::string>{"listen", "journal"}));
  const config merged = merge_live_changes(running, next);
  EXPECT_EQ(merged.tiers[0].offer_accept, duration{300});
  EXPECT_EQ(merged.routing.size(), 1u);
  EXPECT_EQ(merged.listener.max_frame_bytes, running.listener.max_frame_bytes) << "kept";
  EXPECT_EQ(merged.journal.sync, running.journal.sync) << "kept";
  EXPECT_EQ(live_changes(running, merged),
            (std::vector<std::string>{"tiers." + running.tiers[0].name, "routing.rule"}));
  EXPECT_TRUE(live_changes(running, running).empty());
}

TEST(ConfigReload, WhatSendsConversationsToATierNotRunningWaitsForTheRestart) {
  const config running = default_config();
  config next = running;
  tier_policy vip = next.tiers.front();
  vip.name = "vip";
  next.tiers.push_back(vip);
  next.routing.push_back({"domain", "bank", "vip", {}});
  next.tiers.front().queue_full_target = "vip";
  next.tiers.front().when_queue_full = queue_full_action::overflow;

  const auto restart_only = restart_only_changes(running, next);
  EXPECT_NE(std::find(restart_only.begin(), restart_only.end(), "tiers.vip"), restart_only.end());
  EXPECT_NE(std::find(restart_only.begin(), restart_only.end(),
                      "routing.rule (a rule names a tier not running)"),
            restart_only.end());
  const config merged = merge_live_changes(running, next);
  EXPECT_TRUE(merged.routing.empty()) << "the rule naming vip is held back";
  EXPECT_EQ(merged.tiers.front().queue_full_target, running.tiers.front().queue_full_target)
      << "the tier overflowing to vip keeps its running settings";
}

TEST(ConfigReload, AddingOrRemovingATierNeedsARestart) {
  const config running = default_config();
  config next = running;
  next.tiers.back().name = "vip";
  const auto restart_only = restart_only_changes(running, next);
  EXPECT_NE(std::find(restart_only.begin(), restart_only.end(), "tiers.vip"), restart_only.end());
  EXPECT_NE(
      std::find(restart_only.begin(), restart_only.end(), "tiers." + running.tiers.back().name),
      restart_only.end());
  const config merged = merge_live_changes(running, next);
  EXPECT_EQ(merged.tiers.size(), running.tiers.size());
  EXPECT_EQ(merged.tiers.back().name, running.tiers.back().name) << "the running tier stays";
}

}  // namespace
}  // namespace blendroute
