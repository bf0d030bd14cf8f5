#pragma once
// Walks one recorded conversation as the replay plays it: the customer's next turn, and the
// agent turn that answers the latest customer turn sent.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/load/dataset.hpp"

namespace blendroute::load {

/// The replay's position in one recorded conversation.
///
/// Customer turns are sent in order. Agent turns are used in order too, but only those after
/// the latest customer turn sent: turns the bot (or nobody) answered earlier are skipped, as a
/// human taking over answers the conversation where it is now. Action turns (back-end queries)
/// are never sent. Refers to `data`, which must outlive the script.
class conversation_script {
public:
  explicit conversation_script(const conversation& data);

  /// The next customer turn to send, or nullptr when all were sent.
  const turn* next_customer_turn() const;

  /// Records that `next_customer_turn()` was sent.
  void mark_customer_sent();

  bool all_customer_sent() const { return customer_sent_ == customer_.size(); }

  std::size_t customer_turns() const { return customer_.size(); }

  std::size_t customer_turns_sent() const { return customer_sent_; }

  /// The agent turn that should answer now: the first unused agent turn after the latest
  /// customer turn sent, skipping actions. nullptr when a customer turn or the end comes first.
  const turn* next_agent_turn() const;

  /// The data's own delay before `next_agent_turn()`: its time minus that of the customer or
  /// agent turn before it, in dataset milliseconds; 0 when there is none.
  std::int64_t next_agent_gap_ms() const;

  /// Records that `next_agent_turn()` was sent.
  void mark_agent_used();

private:
  // Index in the turns of the next agent turn, or the turn count when there is none.
  std::size_t agent_index() const;

  const conversation* data_;
  // Indices of the customer turns, in order.
  std::vector<std::size_t> customer_;
  std::size_t customer_sent_ = 0;
  // Agent turns before this index are used or were answered by someone else.
  std::size_t agent_from_ = 0;
};

}  // namespace blendroute::load
