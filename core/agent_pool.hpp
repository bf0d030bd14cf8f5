// Human routing (DESIGN.md §4): agents, per-tier queues and the choice of the next offer.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"

namespace blendroute {

/// An agent as the pool sees it.
struct agent_record {
  std::string id;
  agent_presence presence = agent_presence::offline;
  int capacity = 1;
  std::vector<std::string> skills;
  std::set<std::string> conversations;  ///< Offered or owned; never more than `capacity`.
  /// False while its connection is down (the disconnect grace period): no new offers.
  bool connected = true;
  time_point idle_since;  ///< Last time it got nothing new; longest idle first.
};

/// A conversation waiting for an agent.
struct queue_entry {
  std::string conv;
  std::string tier;
  time_point escalated_at;
  std::vector<std::string> skills;  ///< The agent must have all of them.
  std::string excluded_agent;       ///< Offered only when no other agent is eligible.
  std::string target_agent;         ///< After a transfer to one agent: only that agent.
  std::string preferred_agent;      ///< A returning customer's agent, waited for until...
  time_point prefer_until;          ///< ...this time, then anyone eligible.
};

/// The pool's decision: offer `conv` to `agent` under the new offer id `offer`.
struct offer_decision {
  std::string conv;
  std::string agent;
  std::string offer;
};

/// Agents, queues and offers. Pure and single-threaded: the agent pool actor owns one.
class agent_pool {
public:
  /// `offer_prefix` makes offer ids unique across restarts (the start time, for example).
  explicit agent_pool(std::string offer_prefix) : offer_prefix_(std::move(offer_prefix)) {}

  /// Sets the queue priority of each tier (higher first). Unknown tiers have priority 0.
  void set_tier_priority(const std::string& tier, int priority);

  /// Applies an `agent.status`. Returns the conversations the agent held when it went
  /// offline; their conversation actors must take them back.
  std::vector<std::string> update_status(const ingress_event& status, time_point now);

  /// Sets how many conversations `tier`'s queue holds before it turns new ones away; 0 none.
  void set_queue_limit(const std::string& tier, int limit);

  /// Queues a conversation; `at_head` puts it before every other in its tier. A conversation
  /// coming back (at the head: declined, expired, transferred, its agent gone) is always
  /// taken; a new escalation is refused (false) when the queue is at its limit.
  bool enqueue(queue_entry entry, bool at_head);

  /// Takes a conversation out of its queue, if it is queued.
  void withdraw(const std::string& conv);

  /// Moves a queued conversation to the head of its tier's queue.
  void raise_priority(const std::string& conv);

  /// Drops the last skill a queued conversation requires, keeping its place in the queue.
  void relax_skills(const std::string& conv);

  /// `agent`'s last connection dropped (`connected` false) or it has one again. While it is
  /// down the agent gets no offers but keeps what it holds. Returns what it holds, whose
  /// offers must be withdrawn. An agent not known yet is remembered as disconnected.
  std::vector<std::string> set_connected(const std::string& agent, bool connected, time_point now);

  /// After a restart: `agent` holds `conv` again (owns it or has its offer open), which
  /// counts against its capacity. An agent not known yet stays offline until it announces
  /// itself.
  void restore_hold(const std::string& agent, const std::string& conv, time_point now);

  /// `agent` no longer holds `conv` (resolved, declined, expired, transferred…).
  void release(const std::string& agent, const std::string& conv, time_point now);

  /// Forgets `conv` wherever it is: out of its queue, and released by every agent holding
  /// it (owned, or offered). For a conversation the router gave up on, which will never
  /// release what it holds itself. Returns the agents that held it.
  std::vector<std::string> drop_conversation(const std::string& conv, time_point now);

  /// Chooses the offers that can be made now: tiers by priority, oldest first within a
  /// tier, each to the eligible agent idle longest. Reserves the agents' capacity.
  std::vector<offer_decision> assign(time_point now);

  /// Conversations waiting in `tier`.
  std::size_t queue_depth(const std::string& tier) const;

  /// How long the oldest conversation of `tier` has waited.
  duration longest_wait(const std::string& tier, time_point now) const;

  const agent_record* find_agent(const std::string& agent) const;

  /// Every agent, by id.
  const std::map<std::string, agent_record>& agents() const { return agents_; }

  /// Every tier that has had a queue, by name.
  std::vector<std::string> tiers() const;

  std::size_t agent_count() const { return agents_.size(); }

private:
  using queue = std::list<queue_entry>;

  /// Agents that can take an offer now (available, below capacity), longest idle first.
  using idle_key = std::pair<time_point, std::string>;

  agent_record* choose_agent(const queue_entry& entry, time_point now);

  /// Every change to an agent's presence, capacity, load or idle time goes through here, so
  /// that the index of agents with room stays exact.
  template <class Change>
  void change_agent(agent_record& agent, Change&& change);

  std::string offer_prefix_;
  std::uint64_t offers_ = 0;
  std::map<std::string, agent_record> agents_;
  std::set<idle_key> with_room_;
  std::map<std::string, queue> queues_;
  std::unordered_map<std::string, queue::iterator> queued_;  ///< Conversation → its entry.
  std::unordered_map<std::string, int> tier_priority_;
  std::unordered_map<std::string, int> queue_limit_;
};

}  // namespace blendroute
