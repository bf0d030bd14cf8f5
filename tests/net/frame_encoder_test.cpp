// Encoding of acks and egress frames.
#include "net/frame_encoder.hpp"

#include <memory>

#include <gtest/gtest.h>

#include "core/json_writer.hpp"

namespace blendroute::net {
namespace {

TEST(FrameEncoder, EncodesAcksByStatus) {
  std::string out;
  encode_ack(out, "m1", actors::ack::accepted());
  encode_ack(out, "", actors::ack::rejected(errc::bad_json, "not \"json\""));
  EXPECT_EQ(
      out,
      "{\"type\":\"ack\",\"id\":\"m1\",\"status\":\"ok\"}\n"
      "{\"type\":\"ack\",\"id\":null,\"status\":\"rejected\",\"error\":{\"code\":\"bad_json\","
      "\"message\":\"not \\\"json\\\"\"}}\n");
}

TEST(FrameEncoder, EncodesAConversationStateFrame) {
  egress_frame frame;
  frame.type = egress_type::conversation_state;
  frame.conv = "c1";
  frame.at = from_unix_ms(5);
  frame.state = "queued";
  frame.owner = "queue:standard";
  frame.tier = "standard";
  frame.reason = "bot_handoff";
  std::string out;
  encode_egress(out, frame);
  EXPECT_EQ(out,
            "{\"type\":\"conversation.state\",\"conv\":\"c1\",\"at\":5,\"state\":\"queued\","
            "\"owner\":\"queue:standard\",\"tier\":\"standard\",\"reason\":\"bot_handoff\"}\n");
}

TEST(FrameEncoder, AnOfferCarriesEveryPartOfItsContext) {
  auto context = std::make_shared<conversation_context>();
  context->transcript = {{"customer", "my card was stolen", from_unix_ms(1)}};
  context->attrs = {{"domain", "bank"}};
  context->customer = "cust-1";
  context->channel = "webchat";
  context->intent = "bank_fraud_report";
  context->confidence = 0.5;
  context->slots_json = R"({"card":"visa"})";
  context->skills = {"fraud"};
  context->bot_turns = 1;
  context->waited_ms = 7000;
  context->escalation_reason = "bot_handoff";
  context->passback_note = "identity verified";
  egress_frame frame;
  frame.type = egress_type::agent_offer;
  frame.conv = "c1";
  frame.at = from_unix_ms(9);
  frame.delivery = "c1#1.2";
  frame.offer = "o1";
  frame.tier = "priority";
  frame.expires_at = from_unix_ms(10009);
  frame.context = context;

  std::string out;
  encode_egress(out, frame);

  const auto context_at = out.find(R"("context":{)");
  ASSERT_NE(context_at, std::string::npos) << out;
  const std::string encoded = out.substr(context_at);
  for (const char* part :
       {R"("transcript":[{"from":"customer","text":"my card was stolen","at":1}])",
        R"("attrs":{"domain":"bank"})", R"("customer":"cust-1")", R"("channel":"webchat")",
        R"("intent":"bank_fraud_report")", R"("confidence":0.5)", R"("slots":{"card":"visa"})",
        R"("skills":["fraud"])", R"("bot_turns":1)", R"("waited_ms":7000)",
        R"("escalation_reason":"bot_handoff")", R"("note":"identity verified")"}) {
    EXPECT_NE(encoded.find(part), std::string::npos) << part << " missing from " << out;
  }
  for (const char* field : {R"("offer":"o1")", R"("expires_at":10009)", R"("tier":"priority")",
                            R"("delivery":"c1#1.2")"}) {
    EXPECT_NE(out.find(field), std::string::npos) << field << " missing from " << out;
  }
}

TEST(FrameEncoder, EscapesControlCharacters) {
  std::string out;
  append_json_string(out, std::string("a\nb\x01", 4));
  EXPECT_EQ(out, "\"a\\nb\\u0001\"");
}

TEST(FrameEncoder, EscapesQuotesBackslashesAndTabsBetweenPlainRuns) {
  std::string out = "x";
  append_json_string(out, "say \"hi\"\\ now\tand\rthen \x1f\xc3\xa9");
  EXPECT_EQ(out, "x\"say \\\"hi\\\"\\\\ now\\tand\\rthen \\u001f\xc3\xa9\"");
  out.clear();
  append_json_string(out, "");
  EXPECT_EQ(out, "\"\"");
}

}  // namespace
}  // namespace blendroute::net
