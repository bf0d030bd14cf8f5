// Rebuilding a conversation from its journal after a crash or a failed actor (DESIGN.md §6).
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/conversation.hpp"
#include "core/conversation_input.hpp"

namespace blendroute {

/// Applies a conversation's journaled inputs again, in order and at their journaled times,
/// which yields the state it had: the state machine is deterministic in its inputs and
/// clock. Along the way it remembers the work still pending at the end (timers, a bot
/// request or an offer awaiting an answer, a place in a queue), which a restarted actor must
/// re-establish.
class conversation_rebuild {
public:
  explicit conversation_rebuild(std::string id) : conv_(std::move(id)) {}

  /// Told of every input as it is applied, with the effects it had (none when the input was
  /// refused); for the timeline of a conversation.
  using observer = std::function<void(const journaled_input&, const std::vector<effect>&)>;

  /// Sets the observer of the inputs applied from now on.
  void observe(observer watch) { observer_ = std::move(watch); }

  /// Applies the next journaled input with the tier policies of `cfg`.
  void apply(const journaled_input& input, const config& cfg);

  const conversation& conv() const { return conv_; }

  /// Hands the rebuilt conversation over; the rebuild is spent.
  conversation take() { return std::move(conv_); }

  /// The effects that re-establish the pending work: each current SLA and inactivity timer
  /// for its absolute deadline (one already past fires as soon as it is armed), the bot
  /// request still unanswered and the offer still open (re-sent with their delivery and
  /// offer ids), and the queue entry of a conversation waiting for an agent, with the time
  /// it was queued so that it keeps its place.
  std::vector<effect> pending() const;

  /// The agent holding the conversation (owner or open offer), whose capacity it uses.
  const std::string& holding_agent() const;

  /// Inputs read so far, applied or not.
  std::size_t inputs() const { return inputs_; }

  /// Inputs the journal holds that the conversation would not have taken at that point (an
  /// event its state refuses, a timer that was no longer current...). They are skipped. A
  /// journal the router wrote has none; each one means damage or a changed configuration.
  const std::vector<std::string>& problems() const { return problems_; }

private:
  friend class snapshot_codec;  // core/conversation_snapshot.cpp: every field, both ways.

  void remember(std::vector<effect>& effects, time_point at);

  conversation conv_;
  std::size_t inputs_ = 0;
  std::array<std::optional<effect>, 4> timers_;  ///< Last armed, per sla_kind.
  std::optional<effect> idle_timer_;
  std::optional<effect> bot_request_;
  std::optional<effect> offer_;
  std::optional<effect> enqueue_;
  /// Deliveries to the customer and to the owning agent not acknowledged yet, oldest first.
  std::vector<std::pair<std::string, effect>> unacked_;
  std::vector<std::string> problems_;
  observer observer_;
};

}  // namespace blendroute
