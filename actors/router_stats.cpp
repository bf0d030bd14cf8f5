// Breach and failure counters.
#include "actors/router_stats.hpp"

namespace blendroute::actors {

router_stats::router_stats(const config& cfg) {
  for (const auto& tier : cfg.tiers) {
    breaches_[tier.name];
  }
}

void router_stats::count_breach(const std::string& tier, sla_kind sla) {
  auto it = breaches_.find(tier);
  if (it != breaches_.end()) {
    it->second[static_cast<std::size_t>(sla)].fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t router_stats::breaches(const std::string& tier, sla_kind sla) const {
  auto it = breaches_.find(tier);
  return it == breaches_.end() ? 0 : it->second[static_cast<std::size_t>(sla)].load();
}

std::string router_stats::summary() const {
  std::string out;
  for (const auto& [tier, counts] : breaches_) {
    out += (out.empty() ? "tier=" : " tier=") + tier;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      out += " " + std::string(name(static_cast<sla_kind>(i))) + "=" + std::to_string(counts[i]);
    }
  }
  return out;
}

}  // namespace blendroute::actors
