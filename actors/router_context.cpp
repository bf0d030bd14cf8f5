// Tier lookup and logging shared by the actors.
#include "actors/router_context.hpp"

namespace blendroute::actors {

const tier_policy& router_context::policy(const std::string& tier) const {
  if (const tier_policy* found = cfg->find_tier(tier)) {
    return *found;
  }
  // Validation guarantees that the default tier exists.
  return *cfg->find_tier(cfg->default_tier);
}

void router_context::log_line(log_level level, std::string_view component,
                              const std::string& line) const {
  if (log != nullptr && log->enabled(level)) {
    log->write(level, component, line);
  }
}

}  // namespace blendroute::actors
