// The scenario knobs of blendroute-load closed/open: tier mix and message sizes.

#include "bench/load/scenario.hpp"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace blendroute::load {
namespace {

TEST(TierMix, WeightsNeedNotAddUpToOne) {
  std::string problem;
  const auto mix = parse_tier_mix("standard=4, priority=1", problem);
  ASSERT_TRUE(mix) << problem;
  EXPECT_EQ(mix->tiers, (std::vector<std::string>{"standard", "priority"}));
  EXPECT_EQ(mix->describe(), "standard 80 %, priority 20 %");
}

TEST(TierMix, BadTextIsRefusedWithTheReason) {
  std::string problem;
  EXPECT_FALSE(parse_tier_mix("standard", problem));
  EXPECT_NE(problem.find("tier=weight"), std::string::npos) << problem;
  EXPECT_FALSE(parse_tier_mix("=1", problem));
  EXPECT_FALSE(parse_tier_mix("standard=0", problem));
  EXPECT_NE(problem.find("above 0"), std::string::npos) << problem;
  EXPECT_FALSE(parse_tier_mix("standard=x", problem));
  EXPECT_FALSE(parse_tier_mix("standard=1,standard=2", problem));
  EXPECT_NE(problem.find("twice"), std::string::npos) << problem;
  EXPECT_FALSE(parse_tier_mix("", problem));
}

TEST(TierMix, TiersAreDrawnInProportionToTheirWeights) {
  std::string problem;
  const auto mix = parse_tier_mix("standard=0.75,priority=0.25", problem);
  ASSERT_TRUE(mix);
  tier_picker picker(*mix);
  std::mt19937_64 random(7);
  std::map<std::string, int> drawn;
  constexpr int draws = 20'000;
  for (int i = 0; i < draws; ++i) {
    ++drawn[picker.pick(random)];
  }
  // 15,000 expected; the standard deviation is about 61.
  EXPECT_NEAR(drawn["standard"], 15'000, 400);
  EXPECT_EQ(drawn["standard"] + drawn["priority"], draws);
}

TEST(TierMix, AnEmptyMixNamesNoTier) {
  tier_picker picker{tier_mix{}};
  std::mt19937_64 random(1);
  EXPECT_EQ(picker.pick(random), "");
  EXPECT_EQ(tier_mix{}.describe(), "router's rules");
}

TEST(MessageSize, AFixedSizeOrARange) {
  std::string problem;
  const auto fixed = parse_message_size("200", 1000, problem);
  ASSERT_TRUE(fixed) << problem;
  EXPECT_EQ(fixed->min, 200u);
  EXPECT_EQ(fixed->max, 200u);
  EXPECT_EQ(fixed->describe(), "200 bytes");
  const auto range = parse_message_size("50-500", 1000, problem);
  ASSERT_TRUE(range) << problem;
  EXPECT_EQ(range->min, 50u);
  EXPECT_EQ(range->max, 500u);
  EXPECT_EQ(message_size{}.describe(), "as written");
}

TEST(MessageSize, OutOfRangeOrMalformedIsRefused) {
  std::string problem;
  EXPECT_FALSE(parse_message_size("0", 1000, problem));
  EXPECT_FALSE(parse_message_size("500-50", 1000, problem));
  EXPECT_FALSE(parse_message_size("2000", 1000, problem));
  EXPECT_NE(problem.find("1000"), std::string::npos) << problem;
  EXPECT_FALSE(parse_message_size("big", 1000, problem));
  EXPECT_FALSE(parse_message_size("10-", 1000, problem));
}

TEST(MessageSize, TextIsPaddedOrCutToExactlyTheSize) {
  std::string text;
  sized_text("hello there", 40, text);
  EXPECT_EQ(text.size(), 40u);
  EXPECT_EQ(text.rfind("hello there", 0), 0u) << text;
  sized_text("hello there", 5, text);
  EXPECT_EQ(text, "hello");
  sized_text("hi", 2, text);
  EXPECT_EQ(text, "hi");
}

}  // namespace
}  // namespace blendroute::load
