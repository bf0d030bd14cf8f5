// Atoms and message types exchanged between blendroute's actors.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/type_id.hpp>

#include "actors/ack_promise.hpp"
#include "actors/ingress_port.hpp"
#include "core/agent_pool.hpp"
#include "core/conversation_input.hpp"
#include "core/egress.hpp"
#include "core/event.hpp"

namespace blendroute::actors {

/// An ingress event on its way to the actor that applies it, with the promise of its ack.
/// `claimed` says whether the event holds a dedupe claim that a rejection must give back.
struct ingress_envelope {
  ingress_event event;
  ack_promise done;
  bool claimed = false;
  std::string tier;  ///< For a conversation not yet opened: the tier chosen by routing.
  /// When the router received it, for the router's own latency figures.
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
};

/// The journal write of a conversation actor's in-flight input completed.
struct write_settled {
  bool written = false;
  std::string failure;  ///< Why it was not written.
};

/// The passivation timer armed for the finish at `finished` came due.
struct passivation_due {
  time_point finished;
};

/// Look at the waiting inputs again (after a failed write's pause), or, once passivated,
/// stop forwarding and go.
struct backlog_retry {};

/// A supervisor asks for the conversation's view.
struct view_request {
  conversation_answer answer;
};

/// Everything a conversation actor is sent, as one message type. One handler per actor
/// instead of one per kind of input keeps each of a million idle conversation actors about
/// 320 B smaller: CAF allocates every actor's behavior, and it grows with each handler.
struct conversation_msg {
  std::variant<ingress_envelope, write_settled, offer_input, timer_input, idle_input,
               queue_full_input, offline_input, passivation_due, backlog_retry, view_request>
      what;
};

/// A bot request on its way to the bot connector.
struct bot_request_msg {
  egress_frame frame;
};

/// Bot requests of many conversations restored together, as one message to the bot
/// connector: a million restored one message each would wake the scheduler a million times.
struct bot_request_batch {
  std::vector<bot_request_msg> requests;
};

/// Conversation actors restored together, for their tier router to supervise.
struct supervise_batch {
  std::vector<std::pair<caf::actor, std::string>> conversations;
};

/// A supervisor asks the agent pool for its agents or its queues.
struct pool_view_request {
  agents_answer agents;  ///< Set for the agents,
  queues_answer queues;  ///< or for the queues.
};

/// A conversation asking the agent pool for an agent.
/// An agent's last journaled status, applied again after a restart.
struct agent_restore_msg {
  ingress_event status;
};

struct enqueue_msg {
  queue_entry entry;
  bool at_head = false;
};

}  // namespace blendroute::actors

CAF_BEGIN_TYPE_ID_BLOCK(blendroute, caf::first_custom_type_id)

CAF_ADD_ATOM(blendroute, blendroute::actors, supervise_atom, "supervise")
CAF_ADD_ATOM(blendroute, blendroute::actors, settle_atom, "settle")
CAF_ADD_ATOM(blendroute, blendroute::actors, enqueue_atom, "enqueue")
CAF_ADD_ATOM(blendroute, blendroute::actors, withdraw_atom, "withdraw")
CAF_ADD_ATOM(blendroute, blendroute::actors, release_atom, "release")
CAF_ADD_ATOM(blendroute, blendroute::actors, raise_atom, "raise")
CAF_ADD_ATOM(blendroute, blendroute::actors, relax_atom, "relax")
CAF_ADD_ATOM(blendroute, blendroute::actors, update_atom, "update")
CAF_ADD_ATOM(blendroute, blendroute::actors, ask_bot_atom, "askbot")
CAF_ADD_ATOM(blendroute, blendroute::actors, retry_atom, "retry")
CAF_ADD_ATOM(blendroute, blendroute::actors, restore_atom, "restore")
CAF_ADD_ATOM(blendroute, blendroute::actors, sweep_atom, "sweep")
CAF_ADD_ATOM(blendroute, blendroute::actors, presence_atom, "presence")
CAF_ADD_ATOM(blendroute, blendroute::actors, view_atom, "view")
CAF_ADD_ATOM(blendroute, blendroute::actors, reload_atom, "reload")
CAF_ADD_ATOM(blendroute, blendroute::actors, drop_atom, "drop")

CAF_END_TYPE_ID_BLOCK(blendroute)

// These messages never leave the process (actors are not distributed), so they need no
// serialization; CAF must only be told not to demand it.
// TODO(actors): give them inspect() overloads in one file when actors are distributed or
// CAF moves to 0.18, whose inspect signature differs from 0.17's.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::ingress_envelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::conversation_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::bot_request_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::bot_request_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::supervise_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::pool_view_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::enqueue_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(blendroute::actors::agent_restore_msg)
