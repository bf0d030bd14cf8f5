// The timeline of one conversation from its journal: every routing decision, SLA timer,
// breach, escalation step, offer and handoff, in order, with times and reasons.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/conversation_input.hpp"
#include "core/time.hpp"

namespace blendroute {

/// One step of a conversation's history.
struct timeline_entry {
  time_point at;
  /// What happened: an input (`customer.message`, `bot.reply`, `agent.accept`,
  /// `offer_made`, `sla_deadline`, `inactivity`, `queue_full`, `agent_offline`, …) or what
  /// the router did about it (`state`, `sla_timer`, `idle_timer`, `sla.breach`,
  /// `bot.request`, `enqueue`, `agent.offer`, `agent.assigned`, `agent.revoked`,
  /// `release_agent`, `raise_priority`, `relax_skills`, `withdraw`, `notice`).
  std::string what;
  std::vector<std::pair<std::string, std::string>> fields;  ///< In a stable order.
  /// Set on the router's own entries: the input they answer, by its `what` and position.
  int caused_by = -1;
};

/// Replays `inputs` (a conversation's journal, oldest first) through the state machine with
/// the tiers of `cfg` and lists what each input was and what it caused. Inputs the state
/// machine refuses appear with `refused` set, and cause nothing.
std::vector<timeline_entry> conversation_timeline(const std::string& conv,
                                                  const std::vector<journaled_input>& inputs,
                                                  const config& cfg);

}  // namespace blendroute
