// Tier lookup and logging shared by the actors.
#include "actors/router_context.hpp"

namespace blendroute::actors {

const tier_policy& router_context::policy(const std::string& tier) const {
  return cfg->tier_or_default(tier);
}

void router_context::log_line(log_level level, std::string_view component,
                              const std::string& line) const {
  if (log != nullptr && log->enabled(level)) {
    log->write(level, component, line);
  }
}

}  // namespace blendroute::actors
