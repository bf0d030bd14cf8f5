// Keyword matching of the embedded FAQ bot.
#include "core/faq_bot.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

faq_bot make_bot() {
  return faq_bot(
      {{"bank_balance", {"balance", "bank balance"}, "See the app.", bot_outcome::resolved},
       {"bank_fraud_report", {"fraud", "stolen"}, "Connecting you.", bot_outcome::handoff},
       {"weather", {"weather", "rain"}, "Sunny.", bot_outcome::resolved}},
      {"", "Tell me more?", bot_outcome::continue_turn, 0});
}

TEST(FaqBot, MatchesWholeWordsCaseInsensitively) {
  auto answer = make_bot().answer("Will it RAIN today?");
  EXPECT_EQ(answer.intent, "weather");
  EXPECT_EQ(answer.outcome, bot_outcome::resolved);
}

TEST(FaqBot, DoesNotMatchInsideAWord) {
  auto answer = make_bot().answer("my brain hurts");
  EXPECT_EQ(answer.intent, "");
  EXPECT_EQ(answer.outcome, bot_outcome::continue_turn);
  EXPECT_EQ(answer.text, "Tell me more?");
}

TEST(FaqBot, MostKeywordsWinsAndTiesGoToTheFirstRule) {
  EXPECT_EQ(make_bot().answer("someone stole... fraud, my card was stolen").intent,
            "bank_fraud_report");
  EXPECT_EQ(make_bot().answer("balance and weather").intent, "bank_balance");
  EXPECT_EQ(make_bot().answer("my bank balance, and weather").intent, "bank_balance");
}

TEST(FaqBot, ConfidenceIsTheShareOfKeywordsMatched) {
  EXPECT_DOUBLE_EQ(make_bot().answer("weather").confidence, 0.5);
}

TEST(ContainsPhrase, RespectsWordBoundaries) {
  EXPECT_TRUE(contains_phrase("the ac is broken", "ac"));
  EXPECT_FALSE(contains_phrase("back", "ac"));
  EXPECT_TRUE(contains_phrase("ac", "ac"));
  EXPECT_FALSE(contains_phrase("anything", ""));
}

}  // namespace
}  // namespace blendroute
