// Tier and required skills from the routing rules and the intent table.
#include "core/routing.hpp"

#include <algorithm>

namespace blendroute {
namespace {

bool matches(const routing_rule& rule, const ingress_event& event) {
  return std::any_of(event.attrs.begin(), event.attrs.end(), [&](const auto& attr) {
    return attr.first == rule.attr && attr.second == rule.equals;
  });
}

}  // namespace

routing_decision route_new_conversation(const ingress_event& event, const config& cfg) {
  routing_decision decision;
  decision.tier = event.tier;
  for (const auto& rule : cfg.routing) {
    if (!matches(rule, event)) {
      continue;
    }

    if (decision.tier.empty() && !rule.tier.empty()) {
      decision.tier = rule.tier;
    }
    for (const auto& skill : rule.skills) {
      if (std::find(decision.skills.begin(), decision.skills.end(), skill)
          == decision.skills.end()) {
        decision.skills.push_back(skill);
      }
    }
  }
  if (decision.tier.empty()) {
    decision.tier = cfg.default_tier;
  }
  return decision;
}

const std::vector<std::string>* skills_for_intent(const config& cfg, std::string_view intent) {
  auto it = std::find_if(cfg.intent_skills.begin(), cfg.intent_skills.end(),
                         [&](const intent_route& route) { return route.intent == intent; });
  return it != cfg.intent_skills.end() ? &it->skills : nullptr;
}

}  // namespace blendroute
