#pragma once
// What the agents played by `closed` and `open` do with their conversations: answer each
// customer message after the think time, and resolve once the customer has said everything.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace blendroute::load {

/// One thing an agent does once its think time is over.
struct agent_step {
  std::size_t agent = 0;
  std::string conv;
  /// Resolve right after the reply: it answers the customer's last scripted message.
  bool resolve = false;
};

/// The work of every agent of a run, as an agent would do it: after `think` it answers what
/// the conversation held at the assignment and then each `agent.message`; it resolves only
/// after the reply to the customer's last scripted message. Resolving earlier would let that
/// message reopen the conversation inside the tier's resume window and count it escalated
/// twice.
///
/// The router applies a customer message either before the assignment (it arrives in the
/// offer's transcript) or after it (as an `agent.message`). The tool learns the former from the
/// message's ack, which may reach the tool before or after `agent.assigned`, so the desk is
/// told both ways and counts the last message once. Time is given by the caller, never read.
/// Not thread-safe; the loop runs it on its one thread.
class agent_desk {
public:
  using clock = std::chrono::steady_clock;

  explicit agent_desk(std::chrono::nanoseconds think) : think_(think) {}

  /// `agent.assigned`: `agent` now owns `conv` and answers what it holds after the think
  /// time. `customer_done`: the router has already applied the customer's last message.
  void assigned(std::size_t agent, const std::string& conv, bool customer_done,
                clock::time_point now);

  /// An `agent.message` for `conv`; `last` when it is the customer's last scripted one.
  /// Ignored unless `agent` owns `conv`.
  void message(std::size_t agent, const std::string& conv, bool last, clock::time_point now);

  /// The ack of the customer's last message of `conv` came: the router has applied it, so no
  /// message is left to wait for. The owner answers it after the think time unless a reply is
  /// already due.
  void customer_done(const std::string& conv, clock::time_point now);

  /// `agent.revoked` without an offer: `agent` lost `conv`, and its work there is dropped.
  void revoked(std::size_t agent, const std::string& conv);

  /// Takes the work due at `now`, oldest first, into `out` (appended).
  void take_due(clock::time_point now, std::vector<agent_step>& out);

  /// Whether work is waiting for its time.
  bool has_work() const { return !work_.empty(); }

  /// When the oldest work falls due. Precondition: `has_work()`.
  clock::time_point next_due() const { return work_.front().due; }

  /// Conversations owned and not yet resolved.
  std::size_t owned() const { return owned_.size(); }

private:
  struct ownership {
    std::size_t agent = 0;
    /// Tells this ownership's work from that of an earlier one of the same conversation.
    std::uint64_t serial = 0;
    /// Replies waiting for their time.
    std::size_t due_replies = 0;
    /// The customer's last message has been applied (and will be answered by a due reply).
    bool customer_done = false;
  };

  struct work {
    clock::time_point due;
    std::string conv;
    std::uint64_t serial = 0;
  };

  void schedule(const std::string& conv, ownership& owner, clock::time_point now);

  std::chrono::nanoseconds think_;
  std::unordered_map<std::string, ownership> owned_;
  // The think time is the same for all work, so it falls due in the order it came.
  std::deque<work> work_;
  std::uint64_t next_serial_ = 0;
};

}  // namespace blendroute::load
