// Encoding of acks and egress frames.
#include "net/frame_encoder.hpp"

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
