// Egress frames (DESIGN.md §5): what the router sends to bots, agents, gateways, supervisors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace blendroute {

/// One line of a conversation's transcript.
struct transcript_line {
  std::string speaker;  ///< `customer`, `bot`, `agent:<id>` or `router`.
  std::string text;
  time_point at;
};

/// What a bot or an agent needs to pick a conversation up (the `context` of §5).
struct conversation_context {
  std::vector<transcript_line> transcript;  ///< Most recent last.
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string customer;
  std::string channel;
  std::string intent;
  double confidence = -1;  ///< < 0 when the bot gave none.
  std::string slots_json;  ///< Raw JSON object, or empty.
  std::vector<std::string> skills;
  int bot_turns = 0;
  std::int64_t waited_ms = 0;  ///< Since escalation; 0 while the bot owns it.
  std::string escalation_reason;
  std::string passback_note;
};

enum class egress_type : std::uint8_t {
  bot_request,
  agent_offer,
  agent_assigned,
  agent_revoked,
  agent_message,
  customer_deliver,
  conversation_state,
  sla_breach,
};

std::string_view name(egress_type t);

/// One egress frame; only the fields of its type are set. `context` is shared because one
/// conversation's context may go to several receivers and is never changed once built.
struct egress_frame {
  egress_type type = egress_type::conversation_state;
  std::string conv;
  time_point at;
  std::string delivery;  ///< Set on frames the receiver must acknowledge.
  std::string tier;
  int turn = 0;
  std::string text;
  std::string offer;
  time_point expires_at;
  std::string agent;
  std::string from;  ///< customer.deliver: `bot`, `agent` or `router`.
  std::string reason;
  std::string state;
  std::string owner;
  std::string sla;
  time_point deadline;
  int level = 0;
  std::string action;
  std::string ingress_id;  ///< agent.message: the customer's event id.
  std::string channel;
  std::shared_ptr<const conversation_context> context;
};

/// Where egress frames go. Implemented by the network layer; called from actor threads, so
/// implementations must be thread-safe and must not block.
class egress_sink {
public:
  virtual ~egress_sink() = default;

  /// To one connected bot (round-robin). Returns false when no bot is connected.
  virtual bool send_to_bot(const egress_frame& frame) = 0;

  /// To every connection of `agent`. Returns false when the agent has none.
  virtual bool send_to_agent(const std::string& agent, const egress_frame& frame) = 0;

  /// To the gateway that carries `frame.conv`. Returns false when none is connected.
  virtual bool send_to_gateway(const egress_frame& frame) = 0;

  /// To every supervisor and admin connection; kept for the next one while none is
  /// connected (a bounded backlog).
  virtual void send_to_supervisors(const egress_frame& frame) = 0;

  /// The retention of these finished conversations is over (their journal is deleted):
  /// whatever the sink keeps about them, such as the gateway that carried them, can go.
  virtual void forget_conversations(const std::vector<std::string>& convs) { (void)convs; }
};

}  // namespace blendroute
