// Decoding of ingress frames and the error code each bad frame gets.
#include "net/frame_decoder.hpp"

#include <gtest/gtest.h>

namespace blendroute::net {
namespace {

decoded_frame decode(const std::string& text) {
  static frame_decoder decoder;
  return decoder.decode(text.data(), text.size(), text.size());
}

errc code_of(const std::string& text) {
  auto frame = decode(text);
  EXPECT_TRUE(frame.err.has_value()) << text;
  return frame.err ? frame.err->code : errc::bad_value;
}

TEST(FrameDecoder, DecodesACustomerMessageWithAttributes) {
  auto frame = decode(R"({"type":"customer.message","id":"m1","conv":"c1","text":"hi \u00e9",)"
                      R"("tier":"priority","customer":"u1","channel":"sms","ts":17,)"
                      R"("attrs":{"domain":"bank"},"extra":[1,2]})");
  ASSERT_TRUE(frame.event.has_value());
  const ingress_event& e = *frame.event;
  EXPECT_EQ(e.type, event_type::customer_message);
  EXPECT_EQ(e.id, "m1");
  EXPECT_EQ(e.conv, "c1");
  EXPECT_EQ(e.text, "hi \xc3\xa9");
  EXPECT_EQ(e.tier, "priority");
  EXPECT_EQ(e.sender_ts, 17);
  ASSERT_EQ(e.attrs.size(), 1u);
  EXPECT_EQ(e.attrs[0].second, "bank");
}

TEST(FrameDecoder, DecodesABotReply) {
  auto frame =
      decode(R"({"type":"bot.reply","id":"b1","conv":"c1","text":"ok","outcome":"handoff",)"
             R"("intent":"fraud","confidence":0.5,"slots":{"a":[1]},"skills":["fraud"]})");
  ASSERT_TRUE(frame.event.has_value());
  EXPECT_EQ(frame.event->outcome, bot_outcome::handoff);
  EXPECT_EQ(frame.event->slots_json, R"({"a":[1]})");
  EXPECT_EQ(frame.event->skills, std::vector<std::string>{"fraud"});
  EXPECT_DOUBLE_EQ(*frame.event->confidence, 0.5);
}

TEST(FrameDecoder, DecodesAHello) {
  auto frame = decode(R"({"type":"hello","role":"agent","token":"t","agent":"ana"})");
  ASSERT_TRUE(frame.hello.has_value());
  EXPECT_EQ(frame.hello->who, role::agent);
  EXPECT_EQ(frame.hello->agent, "ana");
}

TEST(FrameDecoder, RejectsWhatIsNotAJsonObject) {
  EXPECT_EQ(code_of("not json"), errc::bad_json);
  EXPECT_EQ(code_of("[1,2]"), errc::bad_json);
  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m1")"), errc::bad_json);
  EXPECT_EQ(code_of(R"({"type":"customer.left","id":"m1","conv":"c"} {"x":1})"), errc::bad_json);
}

TEST(FrameDecoder, FindsSyntaxErrorsAfterTheFieldsItNeeds) {
  EXPECT_EQ(code_of(R"({"type":"customer.left","id":"m1","conv":"c" "extra":1})"), errc::bad_json);
}

TEST(FrameDecoder, RejectsInvalidUtf8AndLoneSurrogates) {
  EXPECT_EQ(
      code_of("{\"type\":\"customer.message\",\"id\":\"m\",\"conv\":\"c\",\"text\":\"\xff\"}"),
      errc::bad_utf8);
  // The ack names the event when its id is readable, before or after the bad bytes.
  for (const std::string& text : {std::string("\xff"), std::string("\xed\xa0\x80"),
                                  std::string("caf\xc3"), std::string("\xc0\xaf")}) {
    const auto before =
        decode(R"({"type":"customer.message","id":"u-1","conv":"c","text":")" + text + R"("})");
    ASSERT_TRUE(before.err.has_value());
    EXPECT_EQ(before.err->code, errc::bad_utf8);
    EXPECT_EQ(before.id, "u-1");
    const auto after =
        decode(R"({"type":"customer.message","text":")" + text + R"(","conv":"c","id":"u-2"})");
    EXPECT_EQ(after.id, "u-2");
  }
  // An id that is itself not UTF-8 is not reported.
  const auto bad_id = decode("{\"type\":\"customer.left\",\"id\":\"u\xff\",\"conv\":\"c\"}");
  ASSERT_TRUE(bad_id.err.has_value());
  EXPECT_EQ(bad_id.err->code, errc::bad_utf8);
  EXPECT_EQ(bad_id.id, "");
  // Valid multi-byte text next to the bad byte is left alone: the id after it is found.
  EXPECT_EQ(decode("{\"text\":\"\xc3\xa9\xf0\x9f\x98\x80\xff\",\"id\":\"u-3\"}").id, "u-3");
  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m","conv":"c","text":"\ud800"})"),
            errc::bad_utf8);
}

TEST(FrameDecoder, NamesTheMissingOrMistypedField) {
  auto missing = decode(R"({"type":"customer.message","id":"m1","conv":"c1"})");
  ASSERT_TRUE(missing.err.has_value());
  EXPECT_EQ(missing.err->code, errc::missing_field);
  EXPECT_NE(missing.err->message.find("text"), std::string::npos);
  EXPECT_EQ(missing.id, "m1");

  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m1","conv":"c1","text":5})"),
            errc::bad_type);
  EXPECT_EQ(code_of(R"({"type":"customer.csat","id":"m1","conv":"c1","score":"5"})"),
            errc::bad_type);
  EXPECT_EQ(code_of(R"({"type":"customer.message","conv":"c1","text":"x"})"), errc::missing_field);
  EXPECT_EQ(code_of(R"({"id":"x"})"), errc::missing_field);
}

TEST(FrameDecoder, RejectsValuesOutOfRange) {
  EXPECT_EQ(code_of(R"({"type":"customer.csat","id":"m1","conv":"c1","score":7})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"agent.status","id":"s","agent":"a","status":"sleeping"})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"agent.status","id":"s","agent":"a","status":"away","capacity":0})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"bot.reply","id":"b","conv":"c","text":"t","outcome":"maybe"})"),
            errc::bad_value);
}

TEST(FrameDecoder, RejectsUnknownTypes) {
  EXPECT_EQ(code_of(R"({"type":"customer.shout","id":"m1"})"), errc::unknown_type);
}

TEST(FrameDecoder, TransferNeedsExactlyOneTarget) {
  const std::string transfer = R"({"type":"agent.transfer","id":"t","conv":"c","agent":"a")";
  EXPECT_EQ(code_of(transfer + "}"), errc::missing_field);
  // Present but wrong is a bad value, not a missing field.
  EXPECT_EQ(code_of(transfer + R"(,"to_agent":"b","to_skill":"s"})"), errc::bad_value);
  EXPECT_EQ(code_of(transfer + R"(,"to_agent":"b","to_skill":""})"), errc::bad_value);
  EXPECT_EQ(code_of(transfer + R"(,"to_skill":""})"), errc::bad_value);
  EXPECT_EQ(code_of(transfer + R"(,"to_agent":""})"), errc::bad_value);
  EXPECT_FALSE(decode(transfer + R"(,"to_skill":"billing"})").err.has_value());
  EXPECT_FALSE(decode(transfer + R"(,"to_agent":"b"})").err.has_value());
}

TEST(FrameDecoder, AKeyGivenTwiceIsRefusedNotPicked) {
  const auto twice = decode(R"({"type":"agent.resolve","id":"r1","conv":"c1","agent":"ana",)"
                            R"("conv":"c2"})");
  ASSERT_TRUE(twice.err.has_value());
  EXPECT_EQ(twice.err->code, errc::bad_value);
  EXPECT_NE(twice.err->message.find("conv"), std::string::npos) << twice.err->message;
  EXPECT_EQ(twice.id, "r1") << "the ack names the event";
  // Written differently, still the same key.
  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m1","conv":"c1","text":"a",)"
                    R"("t\u0065xt":"b"})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m1","conv":"c1","text":"a",)"
                    R"("channel":"web","channel":"sms"})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"hello","role":"gateway","role":"admin","token":"t"})"),
            errc::bad_value);
  // The repeated value is still read: a syntax error in it is bad_json, as anywhere.
  EXPECT_EQ(code_of(R"({"type":"customer.left","id":"l1","conv":"c1","conv":tru})"),
            errc::bad_json);
  // Attributes are matched by routing rules: one named twice is refused too.
  const std::string message = R"({"type":"customer.message","id":"m1","conv":"c1","text":"a",)";
  EXPECT_EQ(code_of(message + R"("attrs":{"plan":"free","plan":"gold"}})"), errc::bad_value);
  std::string many_attrs = message + R"("attrs":{)";
  for (int i = 0; i < 40; ++i) {
    many_attrs += "\"a" + std::to_string(i) + "\":\"v\",";
  }
  EXPECT_FALSE(decode(many_attrs + R"("a40":"v"}})").err.has_value());
  EXPECT_EQ(code_of(many_attrs + R"("a7":"v"}})"), errc::bad_value);
  // Unknown keys are skipped, given once or more.
  EXPECT_FALSE(decode(R"({"type":"customer.message","id":"m1","conv":"c1","text":"a",)"
                      R"("x-trace":1,"x-trace":2})")
                   .err.has_value());
}

TEST(FrameDecoder, ValidatesFieldsItDoesNotUse) {
  const std::string base = R"({"type":"customer.left","id":"m","conv":"c",)";
  EXPECT_EQ(code_of(base + R"("x":[1 2]})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("x":{"a" 1}})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("x":nul})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("x":01})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("x":"\q"})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("zz":{"q":["\udc00"]}})"), errc::bad_utf8);
  EXPECT_FALSE(decode(base + R"("x":{"big":1e400,"n":[true,null,-0.5e3]}})").err.has_value());
}

TEST(FrameDecoder, RefusesNestingDeeperThanItChecks) {
  std::string deep = R"({"type":"customer.left","id":"m","conv":"c","x":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(code_of(deep), errc::bad_json);
}

TEST(FrameDecoder, SlotsMustBeValidJsonBecauseTheyArePassedOn) {
  const std::string base =
      R"({"type":"bot.reply","id":"b","conv":"c","text":"t","outcome":"handoff",)";
  EXPECT_EQ(code_of(base + R"("slots":{"a":[1 2]}})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("slots":{"b":"\ud800"}})"), errc::bad_utf8);
}

TEST(FrameDecoder, BrokenEscapesAreBadJsonAndSurrogatesBadUtf8) {
  const std::string base = R"({"type":"customer.message","id":"m","conv":"c","text":)";
  EXPECT_EQ(code_of(base + R"("\q"})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("\uZZZZ"})"), errc::bad_json);
  EXPECT_EQ(code_of(base + R"("\udc00\ud800"})"), errc::bad_utf8);
  EXPECT_FALSE(decode(base + R"("\ud83d\ude00"})").err.has_value());
  EXPECT_EQ(code_of(R"({"type":"agent.status","id":"s","agent":"a","status":"away",)"
                    R"("skills":["\ud800"]})"),
            errc::bad_utf8);
  EXPECT_EQ(code_of(R"({"type":"customer.message","id":"m","conv":"c","text":"t",)"
                    R"("attrs":{"a":"\ud800"}})"),
            errc::bad_utf8);
}

TEST(FrameDecoder, NumbersOfTheWrongKindAreBadValues) {
  EXPECT_EQ(code_of(R"({"type":"customer.csat","id":"m","conv":"c","score":5.5})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"customer.csat","id":"m","conv":"c","score":1e400})"),
            errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"agent.status","id":"s","agent":"a","status":"away",)"
                    R"("capacity":9223372036854775808})"),
            errc::bad_value);
}

TEST(FrameDecoder, AgentReplyNamesItsAgent) {
  EXPECT_EQ(code_of(R"({"type":"agent.reply","id":"r","conv":"c","text":"hi"})"),
            errc::missing_field);
}

TEST(FrameDecoder, IdentifiersMayNotHoldControlCharacters) {
  EXPECT_EQ(code_of(R"({"type":"customer.left","id":"m","conv":"a\u0000b"})"), errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"customer.left","id":"m\nforged","conv":"c"})"), errc::bad_value);
  EXPECT_EQ(code_of(R"({"type":"hello","role":"agent","token":"t","agent":"a\u0001"})"),
            errc::unauthorized);
  // Long identifiers are checked eight bytes at a time: every position counts.
  for (std::size_t at = 0; at < 20; ++at) {
    // JSON has a control character escaped; DEL may stand as it is.
    const std::string before(at, 'c');
    const std::string after(19 - at, 'c');
    EXPECT_EQ(code_of(R"({"type":"customer.left","id":"m","conv":")" + before + "\\u001f" + after
                      + "\"}"),
              errc::bad_value)
        << "control character at " << at;
    EXPECT_EQ(
        code_of(R"({"type":"customer.left","id":"m","conv":")" + before + "\x7f" + after + "\"}"),
        errc::bad_value)
        << "DEL at " << at;
  }
  // Letters beyond ASCII are not control characters.
  auto accented =
      decode(R"({"type":"customer.left","id":"m","conv":"caf\u00e9-\u00e9t\u00e9-2026"})");
  ASSERT_TRUE(accented.event.has_value());
  EXPECT_EQ(accented.event->conv, "caf\xc3\xa9-\xc3\xa9t\xc3\xa9-2026");
}

TEST(FrameDecoder, EscapedKeysAndStringsAreUnescaped) {
  auto frame = decode(
      R"({"\u0074ype":"customer.message","id":"m1","conv":"c1","text":"say \"hi\"\n" , "ts" : 5 })");
  ASSERT_TRUE(frame.event.has_value()) << (frame.err ? frame.err->message : "");
  EXPECT_EQ(frame.event->type, event_type::customer_message);
  EXPECT_EQ(frame.event->text, "say \"hi\"\n");
  EXPECT_EQ(frame.event->sender_ts, 5);
  auto spaced =
      decode(R"({ "type" : "customer.message" , "id" : "m2" , "conv" : "c2" , "text" : "x" })");
  ASSERT_TRUE(spaced.event.has_value());
  EXPECT_EQ(spaced.event->id, "m2");
  EXPECT_EQ(spaced.event->conv, "c2");
  EXPECT_EQ(spaced.event->text, "x");
}

}  // namespace
}  // namespace blendroute::net
