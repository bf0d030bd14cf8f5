// The narrow interface through which the network layer hands decoded events to the actors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/egress.hpp"
#include "core/error.hpp"
#include "core/event.hpp"
#include "core/kpi.hpp"
#include "core/time.hpp"
#include "core/timeline.hpp"

namespace blendroute::actors {

enum class ack_status : std::uint8_t { ok, duplicate, rejected };

/// The answer to one ingress event (DESIGN.md §5 "Acks").
struct ack {
  /// Applied; `conv` is the conversation it was applied to, if any.
  static ack accepted(std::string conv = {}) {
    return {ack_status::ok, errc::bad_value, {}, std::move(conv)};
  }

  /// Applied before under the same id; nothing done now.
  static ack duplicate() { return {ack_status::duplicate, errc::bad_value, {}, {}}; }

  /// Not applied, for the reason given.
  static ack rejected(errc code, std::string message) {
    return {ack_status::rejected, code, std::move(message), {}};
  }

  ack_status status = ack_status::ok;
  errc code = errc::bad_value;  ///< Set when rejected.
  std::string message;          ///< Set when rejected.
  /// The conversation the event was applied to (its canonical id when the session broker
  /// mapped it), for the network layer's bookkeeping; never sent on the wire.
  std::string conv;
};

/// One conversation as a supervisor sees it (`GET /v1/conversations/{id}`).
struct conversation_view {
  std::string conv;
  std::string state;
  std::string tier;
  std::string owner;  ///< `bot`, `queue:<tier>`, `agent:<id>`, or `none` once finished.
  std::string customer;
  std::string channel;
  int bot_turns = 0;
  int transfers = 0;
  time_point opened_at;
  std::vector<transcript_line> transcript;  ///< The recent lines, oldest first.
};

/// One agent (`GET /v1/agents`).
struct agent_view {
  std::string agent;
  agent_presence presence = agent_presence::offline;
  int capacity = 1;
  std::vector<std::string> skills;
  std::size_t conversations = 0;  ///< Offered or owned.
  bool connected = true;
};

/// One tier's queue (`GET /v1/queues`).
struct queue_view {
  std::string tier;
  std::size_t depth = 0;
  duration longest_wait{0};
};

/// The KPIs of the sliding window (`GET /v1/kpis`), per tier.
struct kpi_report {
  duration window{0};
  /// The part of the window the counts cover: shorter than it until a window has passed
  /// since the router started (KPIs are not kept across restarts).
  duration observed{0};
  time_point at;
  std::map<std::string, kpi_summary> tiers;
};

using conversation_answer = std::function<void(std::optional<conversation_view>)>;
using agents_answer = std::function<void(std::vector<agent_view>)>;
using queues_answer = std::function<void(std::vector<queue_view>)>;

/// Receives the ack of one event. Called exactly once, from an actor or journal thread: it
/// must be cheap and must not block (post the work to the connection's own executor).
using ack_callback = std::function<void(ack)>;

/// What the router offers the network layer. Thread-safe.
class ingress_port {
public:
  virtual ~ingress_port() = default;

  /// Submits an event that is well formed and that the sender's role may send. `done`
  /// receives its ack once the event is journaled (or rejected).
  virtual void submit(ingress_event event, ack_callback done) = 0;

  /// Answers, on an actor thread, with `conv`'s view, or nullopt for no such conversation.
  /// `answer` must be cheap and must not block, like an ack callback.
  virtual void query_conversation(const std::string& conv, conversation_answer answer) {
    (void)conv;
    answer(std::nullopt);
  }

  /// Answers with `conv`'s timeline from its journal, or nullopt when the journal holds
  /// nothing for it. May read the journal on the calling thread.
  virtual void query_timeline(
      const std::string& conv,
      std::function<void(std::optional<std::vector<timeline_entry>>)> answer) {
    (void)conv;
    answer(std::nullopt);
  }

  /// Answers, on an actor thread, with every agent the pool knows, by id.
  virtual void query_agents(agents_answer answer) { answer({}); }

  /// Answers, on an actor thread, with each tier's queue, by tier.
  virtual void query_queues(queues_answer answer) { answer({}); }

  /// Answers with the KPIs of the window ending now.
  virtual void query_kpis(std::function<void(kpi_report)> answer) { answer({}); }

  /// Answers, on an actor thread, with the router's metrics in the Prometheus text format.
  virtual void query_metrics(std::function<void(std::string)> answer) { answer({}); }

  /// A bot request no bot connection is left to answer: the embedded bot answers it.
  virtual void ask_embedded_bot(const egress_frame& request) { (void)request; }

  /// `agent`'s first connection came up (`connected`) or its last one went down.
  virtual void agent_connection(const std::string& agent, bool connected) {
    (void)agent;
    (void)connected;
  }

  /// Answers with the rollout's state as JSON (`GET /v1/admin/rollout`).
  virtual void query_rollout(std::function<void(std::string)> answer) { answer("{}\n"); }

  /// An operator's rollout action: `pause` (argument: the reason), `resume`, or `stage`
  /// (argument: the stage's name), by `by` for the audit. Answers the new state as JSON or
  /// a bad_value error.
  virtual void control_rollout(const std::string& action, const std::string& argument,
                               const std::string& by,
                               std::function<void(result<std::string>)> answer) {
    (void)action;
    (void)argument;
    (void)by;
    answer(error{errc::unavailable, "no rollout controller"});
  }

  /// Why events would be rejected `unavailable` now (the journal cannot write), or empty
  /// when the router takes events. For `GET /readyz`.
  virtual std::string unready_reason() const { return {}; }
};

}  // namespace blendroute::actors
