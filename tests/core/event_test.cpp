// Role permissions of DESIGN.md §5 and event names.
#include "core/event.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

TEST(Event, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(event_type::delivery_ack); ++i) {
    const auto type = static_cast<event_type>(i);
    EXPECT_EQ(parse_event_type(name(type)), type);
  }
  EXPECT_FALSE(parse_event_type("customer.shout").has_value());
}

TEST(Event, EachRoleMaySendOnlyItsEvents) {
  EXPECT_TRUE(may_send(role::gateway, event_type::customer_message));
  EXPECT_FALSE(may_send(role::gateway, event_type::agent_reply));
  EXPECT_FALSE(may_send(role::gateway, event_type::bot_reply));
  EXPECT_TRUE(may_send(role::bot, event_type::bot_reply));
  EXPECT_FALSE(may_send(role::bot, event_type::customer_message));
  EXPECT_TRUE(may_send(role::agent, event_type::agent_accept));
  EXPECT_FALSE(may_send(role::agent, event_type::conversation_close));
  EXPECT_TRUE(may_send(role::admin, event_type::conversation_close));
  EXPECT_FALSE(may_send(role::supervisor, event_type::customer_message));
  EXPECT_TRUE(may_send(role::supervisor, event_type::delivery_ack));
}

}  // namespace
}  // namespace blendroute
