// Ingress events (DESIGN.md §5): what gateways, bots and agents send to the router.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace blendroute {

/// Who is on the other end of a connection, as announced in its `hello`.
enum class role : std::uint8_t { gateway, bot, agent, supervisor, admin };

/// Every ingress event type of DESIGN.md §5.
enum class event_type : std::uint8_t {
  customer_message,
  customer_csat,
  customer_left,
  bot_reply,
  agent_status,
  agent_accept,
  agent_decline,
  agent_reply,
  agent_transfer,
  agent_passback,
  agent_resolve,
  conversation_close,
  delivery_ack,
};

/// How many event types there are (for tables indexed by event_type).
inline constexpr std::size_t event_type_count =
    static_cast<std::size_t>(event_type::delivery_ack) + 1;

/// What the bot says about a conversation with its reply.
enum class bot_outcome : std::uint8_t { continue_turn, resolved, handoff };

/// An agent's announced presence.
enum class agent_presence : std::uint8_t { available, away, offline };

std::string_view name(role r);
std::string_view name(event_type t);
std::string_view name(bot_outcome o);
std::string_view name(agent_presence p);

std::optional<role> parse_role(std::string_view text);
std::optional<event_type> parse_event_type(std::string_view text);
std::optional<bot_outcome> parse_bot_outcome(std::string_view text);
std::optional<agent_presence> parse_agent_presence(std::string_view text);

/// Whether a connection of role `r` may send events of type `t` (the table of DESIGN.md §5).
/// Ownership (which agent, whether the bot owns the conversation) is checked later, by the
/// conversation.
bool may_send(role r, event_type t);

/// Whether events of type `t` concern one conversation and carry `conv`.
bool is_conversation_event(event_type t);

/// One decoded ingress event. Only the fields of its type are set; the decoder has already
/// checked that the required ones are present and well typed.
struct ingress_event {
  event_type type = event_type::customer_message;
  std::string id;                         ///< The sender's unique id, the idempotency key.
  std::string conv;                       ///< Set for conversation events.
  std::optional<std::int64_t> sender_ts;  ///< `ts`: the sender's clock, informational only.

  std::string text;  ///< customer.message, bot.reply, agent.reply.

  // customer.message
  std::string tier;  ///< Empty when the event does not ask for one.
  std::string customer;
  std::string channel;
  std::string lang;
  std::vector<std::pair<std::string, std::string>> attrs;

  int csat_score = 0;  ///< customer.csat, 1–5.

  // bot.reply
  bot_outcome outcome = bot_outcome::continue_turn;
  std::string intent;                ///< Also agent.passback.
  std::optional<double> confidence;  ///< 0–1.
  std::string slots_json;            ///< The `slots` object as raw JSON text, or empty.
  std::vector<std::string> skills;   ///< bot.reply and agent.status.

  // agent events
  std::string agent;
  agent_presence presence = agent_presence::available;
  std::optional<int> capacity;
  std::string offer;
  std::string to_agent;
  std::string to_skill;
  std::string note;
  std::string disposition;

  std::string reason;    ///< conversation.close.
  std::string delivery;  ///< delivery.ack.

  /// Set by the router on the message that opens a conversation of the rollout's control
  /// cohort: it goes straight to the human queue. Journaled with the event.
  bool control_cohort = false;
};

}  // namespace blendroute
