#pragma once
// What the replay keeps per conversation, agent and gateway, and the tags it puts on frames.
// Internal to the replay (replay_*.cpp).

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bench/load/conversation_script.hpp"
#include "bench/load/dataset.hpp"
#include "bench/load/wire_client.hpp"

namespace blendroute::load::replay_detail {

using steady = std::chrono::steady_clock;

/// What a sent frame was; travels in the ack tag with the agent and conversation it concerns.
enum class sent_kind : std::uint8_t {
  agent_status = 1,
  customer_message,
  customer_left,
  delivery_ack,
  agent_accept,
  agent_reply,
  agent_resolve,
};

/// The wire type of `kind`, for the report.
inline const char* kind_name(sent_kind kind) {
  switch (kind) {
    case sent_kind::agent_status:
      return "agent.status";
    case sent_kind::customer_message:
      return "customer.message";
    case sent_kind::customer_left:
      return "customer.left";
    case sent_kind::delivery_ack:
      return "delivery.ack";
    case sent_kind::agent_accept:
      return "agent.accept";
    case sent_kind::agent_reply:
      return "agent.reply";
    case sent_kind::agent_resolve:
      return "agent.resolve";
  }
  return "unknown";
}

/// Stands for "no conversation" and "no agent" in tags and fields.
inline constexpr std::uint32_t no_conv = UINT32_MAX;
inline constexpr std::uint32_t no_agent = 0xFFFFFF;

/// Packs a tag: kind in bits 56-63, agent index in 32-55, conversation index in 0-31.
constexpr std::uint64_t make_tag(sent_kind kind, std::uint32_t agent, std::uint32_t conv) {
  return (std::uint64_t{static_cast<std::uint8_t>(kind)} << 56)
         | (std::uint64_t{agent & no_agent} << 32) | conv;
}

constexpr sent_kind tag_kind(std::uint64_t tag) {
  return static_cast<sent_kind>(tag >> 56);
}

constexpr std::uint32_t tag_agent(std::uint64_t tag) {
  return static_cast<std::uint32_t>((tag >> 32) & no_agent);
}

constexpr std::uint32_t tag_conv(std::uint64_t tag) {
  return static_cast<std::uint32_t>(tag);
}

/// The replay's view of one conversation: what to send next, and what the supervisor saw.
struct conv_run {
  conv_run(const conversation& recorded, std::string conv_id)
      : data(&recorded), script(recorded), id(std::move(conv_id)) {}

  /// The recorded conversation; owned by the runner's dataset, which outlives this.
  const conversation* data;
  conversation_script script;
  /// `<run-id>-<dataset id>`.
  std::string id;
  /// Index of the gateway that carries it.
  std::size_t gateway = 0;
  steady::time_point start_at;
  /// Counters behind the event ids `<conv>-c<k>` and `<conv>-a<k>`.
  std::uint64_t customer_seq = 0;
  std::uint64_t agent_seq = 0;
  bool left_sent = false;
  bool resolve_sent = false;
  /// The agent assigned to it, or `no_agent`.
  std::uint32_t owner = no_agent;

  // From the supervisor's conversation.state frames.
  std::string tier;
  /// The latest state; empty until the first one arrives.
  std::string state;
  /// The states passed through, the first `max_states_kept` of them.
  std::vector<std::string> states;
  bool escalated = false;
  bool started_in_bot = false;
  /// Resolved, abandoned or closed, as of the latest state.
  bool done = false;

  // For the latencies and SLA opportunities.
  /// Customer messages (id, send time) not yet answered by the bot, oldest first.
  std::deque<std::pair<std::string, steady::time_point>> awaiting_bot_reply;
  /// When the supervisor saw `queued`, until an offer arrives.
  std::optional<steady::time_point> queued_at;
  /// When an offer arrived before the supervisor saw `queued` (they race).
  std::optional<steady::time_point> early_offer_at;
  std::uint64_t bot_attempts = 0;
  std::uint64_t offers = 0;
};

/// What one agent holds of one conversation, from its offer until it loses it.
struct agent_hold {
  /// The offer id as raw JSON, echoed in agent.accept.
  std::string offer;
  /// Scheduled tasks captured this; a new offer or a drop makes them stale.
  std::uint64_t generation = 0;
  bool assigned = false;
  bool reply_scheduled = false;
};

/// One agent connection and what it holds.
struct agent_run {
  /// `agent-01`, ...
  std::string id;
  std::unique_ptr<wire_client> client;
  /// By conversation index.
  std::unordered_map<std::uint32_t, agent_hold> holds;
  /// Delivery ids seen, as raw JSON, so that a re-sent delivery is acted on once.
  std::unordered_set<std::string> deliveries;
};

/// One gateway connection.
struct gateway_run {
  std::unique_ptr<wire_client> client;
  std::unordered_set<std::string> deliveries;
};

}  // namespace blendroute::load::replay_detail
