// Routing decisions that come from the configuration: a new conversation's tier and the
// skills a conversation requires of the agent who takes it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/event.hpp"

namespace blendroute {

/// Where a new conversation goes and what it requires of an agent.
struct routing_decision {
  std::string tier;
  std::vector<std::string> skills;  ///< Required of the agent, in rule order, no repeats.
};

/// Routes the customer message that opens a conversation. The tier is the event's own, else
/// that of the first matching rule that names one, else the default tier. The skills are
/// those of every matching rule.
routing_decision route_new_conversation(const ingress_event& event, const config& cfg);

/// The skills a conversation needs once the bot has recognised `intent`, or nullptr when no
/// `routing.intent_skills` entry names it.
const std::vector<std::string>* skills_for_intent(const config& cfg, std::string_view intent);

}  // namespace blendroute
