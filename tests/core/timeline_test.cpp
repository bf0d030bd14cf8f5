// The timeline of a conversation, replayed from journaled inputs.
#include "core/timeline.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace blendroute {
namespace {

time_point at(std::int64_t ms) {
  return from_unix_ms(1'700'000'000'000 + ms);
}

ingress_event event(event_type type, const std::string& id) {
  ingress_event e;
  e.type = type;
  e.id = id;
  e.conv = "tl-1";
  return e;
}

std::string field(const timeline_entry& entry, const std::string& key) {
  for (const auto& [k, v] : entry.fields) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

TEST(Timeline, ExplainsWhyAConversationIsWithItsAgent) {
  ingress_event opening = event(event_type::customer_message, "m1");
  opening.text = "my card was stolen";
  opening.customer = "u1";
  opening.skills = {"fraud"};
  ingress_event handoff = event(event_type::bot_reply, "b1");
  handoff.text = "a human will help";
  handoff.outcome = bot_outcome::handoff;
  handoff.intent = "card_stolen";
  ingress_event accept = event(event_type::agent_accept, "a1");
  accept.agent = "ana";
  accept.offer = "o-1";
  const std::vector<journaled_input> inputs = {
      {opening, at(0), "standard"},
      {handoff, at(400), ""},
      {offer_input{"ana", "o-1"}, at(500), ""},
      {accept, at(2500), ""},
  };

  const auto timeline = conversation_timeline("tl-1", inputs, default_config());
  auto find = [&](const std::string& what, const std::string& key, const std::string& value) {
    return std::find_if(timeline.begin(), timeline.end(), [&](const timeline_entry& e) {
      return e.what == what && field(e, key) == value;
    });
  };

  const auto opened = find("customer.message", "id", "m1");
  ASSERT_NE(opened, timeline.end());
  EXPECT_EQ(field(*opened, "routed_tier"), "standard");
  EXPECT_EQ(field(*opened, "skills"), "fraud");
  EXPECT_NE(find("sla_timer", "sla", "bot_attempt"), timeline.end());

  const auto queued = find("state", "state", "queued");
  ASSERT_NE(queued, timeline.end());
  EXPECT_EQ(field(*queued, "reason"), "bot_handoff");
  EXPECT_EQ(queued->at, at(400));
  ASSERT_GE(queued->caused_by, 0);
  EXPECT_EQ(timeline[static_cast<std::size_t>(queued->caused_by)].what, "bot.reply");
  EXPECT_EQ(field(timeline[static_cast<std::size_t>(queued->caused_by)], "intent"), "card_stolen");

  const auto offer = find("agent.offer", "agent", "ana");
  ASSERT_NE(offer, timeline.end());
  EXPECT_EQ(field(*offer, "offer"), "o-1");
  const auto owned = find("state", "state", "agent");
  ASSERT_NE(owned, timeline.end());
  EXPECT_EQ(field(*owned, "owner"), "agent:ana");
  EXPECT_EQ(owned->at, at(2500));

  // In order of time.
  EXPECT_TRUE(std::is_sorted(timeline.begin(), timeline.end(),
                             [](const auto& a, const auto& b) { return a.at < b.at; }));
}

TEST(Timeline, AnInputTheConversationWouldNotTakeIsMarkedRefused) {
  ingress_event opening = event(event_type::customer_message, "m1");
  opening.text = "hi";
  ingress_event stray = event(event_type::agent_resolve, "r1");
  stray.agent = "nobody";
  const auto timeline = conversation_timeline(
      "tl-1", {{opening, at(0), "standard"}, {stray, at(10), ""}}, default_config());
  const auto refused = std::find_if(timeline.begin(), timeline.end(),
                                    [](const auto& e) { return e.what == "agent.resolve"; });
  ASSERT_NE(refused, timeline.end());
  EXPECT_FALSE(field(*refused, "refused").empty());
}

}  // namespace
}  // namespace blendroute
