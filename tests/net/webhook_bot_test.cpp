// Reading the replies of webhook and Rasa bots, and the signature of what is sent to them.
#include "net/webhook_bot.hpp"

#include <gtest/gtest.h>

namespace blendroute::net {
namespace {

TEST(WebhookBot, SignsWithHmacSha256) {
  // RFC 4231-style check against the well-known example.
  EXPECT_EQ(hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(WebhookBot, AWebhookReplyCarriesTextOutcomeIntentAndSlots) {
  auto reply = parse_webhook_reply(
      R"({"text":"A table for two?","outcome":"handoff","intent":"booking","confidence":0.9,)"
      R"("slots":{"people": 2},"skills":["bookings"]})");
  ASSERT_TRUE(reply.ok()) << reply.err().message;
  EXPECT_EQ(reply->type, event_type::bot_reply);
  EXPECT_EQ(reply->text, "A table for two?");
  EXPECT_EQ(reply->outcome, bot_outcome::handoff);
  EXPECT_EQ(reply->intent, "booking");
  EXPECT_EQ(reply->slots_json, R"({"people":2})");
  EXPECT_EQ(reply->skills, (std::vector<std::string>{"bookings"}));

  auto plain = parse_webhook_reply(R"({"text":"hi"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->outcome, bot_outcome::continue_turn);
}

TEST(WebhookBot, AWebhookReplyItCannotUseIsAnError) {
  EXPECT_EQ(parse_webhook_reply("not json").err().code, errc::bad_json);
  EXPECT_EQ(parse_webhook_reply(R"({"outcome":"resolved"})").err().code, errc::missing_field);
  EXPECT_EQ(parse_webhook_reply(R"({"text":"x","outcome":"maybe"})").err().code, errc::bad_value);
  EXPECT_EQ(parse_webhook_reply(R"({"text":"x","confidence":3})").err().code, errc::bad_value);
}

TEST(WebhookBot, RasaMessagesAreJoinedAndACustomPayloadHandsOver) {
  auto reply = parse_rasa_reply(
      R"([{"recipient_id":"c1","text":"Sorry to hear that."},{"recipient_id":"c1","text":"A human will help."},)"
      R"({"recipient_id":"c1","custom":{"handoff":true,"intent":"card_stolen"}}])",
      "handoff", "");
  ASSERT_TRUE(reply.ok()) << reply.err().message;
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->text, "Sorry to hear that.\nA human will help.");
  EXPECT_EQ((*reply)->outcome, bot_outcome::handoff);
  EXPECT_EQ((*reply)->intent, "card_stolen");

  auto by_intent = parse_rasa_reply(R"([{"text":"ok"},{"custom":{"intent":"human_please"}}])",
                                    "handoff", "human_please");
  ASSERT_TRUE(by_intent.ok());
  EXPECT_EQ((*by_intent)->outcome, bot_outcome::handoff);

  auto plain = parse_rasa_reply(R"([{"text":"The weather is fine."}])", "handoff", "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->outcome, bot_outcome::continue_turn);

  auto silent = parse_rasa_reply("[]", "handoff", "");
  ASSERT_TRUE(silent.ok());
  EXPECT_FALSE(silent->has_value()) << "Rasa had nothing to say";
  EXPECT_EQ(parse_rasa_reply(R"({"text":"x"})", "handoff", "").err().code, errc::bad_json);
}

}  // namespace
}  // namespace blendroute::net
