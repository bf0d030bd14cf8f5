// Names and permissions of ingress events.
#include "core/event.hpp"

#include <array>

namespace blendroute {
namespace {

constexpr std::array<std::string_view, 5> role_names = {"gateway", "bot", "agent", "supervisor",
                                                        "admin"};

constexpr std::array<std::string_view, 13> event_type_names = {
    "customer.message", "customer.csat",      "customer.left", "bot.reply",      "agent.status",
    "agent.accept",     "agent.decline",      "agent.reply",   "agent.transfer", "agent.passback",
    "agent.resolve",    "conversation.close", "delivery.ack",
};

constexpr std::array<std::string_view, 3> bot_outcome_names = {"continue", "resolved", "handoff"};

constexpr std::array<std::string_view, 3> presence_names = {"available", "away", "offline"};

template <class Enum, std::size_t N>
std::optional<Enum> parse_from(const std::array<std::string_view, N>& names,
                               std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view name(role r) {
  return role_names[static_cast<std::size_t>(r)];
}

std::string_view name(event_type t) {
  return event_type_names[static_cast<std::size_t>(t)];
}

std::string_view name(bot_outcome o) {
  return bot_outcome_names[static_cast<std::size_t>(o)];
}

std::string_view name(agent_presence p) {
  return presence_names[static_cast<std::size_t>(p)];
}

std::optional<role> parse_role(std::string_view text) {
  return parse_from<role>(role_names, text);
}

std::optional<event_type> parse_event_type(std::string_view text) {
  return parse_from<event_type>(event_type_names, text);
}

std::optional<bot_outcome> parse_bot_outcome(std::string_view text) {
  return parse_from<bot_outcome>(bot_outcome_names, text);
}

std::optional<agent_presence> parse_agent_presence(std::string_view text) {
  return parse_from<agent_presence>(presence_names, text);
}

bool may_send(role r, event_type t) {
  switch (t) {
    case event_type::customer_message:
    case event_type::customer_csat:
    case event_type::customer_left:
      return r == role::gateway;
    case event_type::bot_reply:
      return r == role::bot;
    case event_type::agent_status:
    case event_type::agent_accept:
    case event_type::agent_decline:
    case event_type::agent_reply:
    case event_type::agent_transfer:
    case event_type::agent_passback:
    case event_type::agent_resolve:
      return r == role::agent;
    case event_type::conversation_close:
      return r == role::gateway || r == role::admin;
    case event_type::delivery_ack:
      // Anyone who can receive a delivery acknowledges it.
      return true;
  }
  return false;
}

bool is_conversation_event(event_type t) {
  return t != event_type::agent_status && t != event_type::delivery_ack;
}

}  // namespace blendroute
