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

void router_stats::record_message_to_bot(std::chrono::nanoseconds elapsed) {
  std::lock_guard<std::mutex> lock(latency_mutex_);
  message_to_bot_.record(elapsed);
}

void router_stats::record_escalation_to_offer(std::chrono::nanoseconds elapsed) {
  std::lock_guard<std::mutex> lock(latency_mutex_);
  escalation_to_offer_.record(elapsed);
}

std::string router_stats::latency_summary() const {
  auto micros = [](std::chrono::nanoseconds d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) + "us";
  };
  auto describe = [&](const char* label, const latency_histogram& h) {
    return std::string(label) + " p50=" + micros(h.percentile(50))
           + " p99=" + micros(h.percentile(99)) + " max=" + micros(h.max())
           + " n=" + std::to_string(h.count());
  };
  std::lock_guard<std::mutex> lock(latency_mutex_);
  return describe("message_to_bot_request", message_to_bot_) + " "
         + describe("escalation_to_offer", escalation_to_offer_);
}

std::vector<std::string> router_stats::tiers() const {
  std::vector<std::string> names;
  for (const auto& [tier, counts] : breaches_) {
    names.push_back(tier);
  }
  return names;
}

std::pair<latency_histogram, latency_histogram> router_stats::latencies() const {
  std::lock_guard<std::mutex> lock(latency_mutex_);
  return {message_to_bot_, escalation_to_offer_};
}

}  // namespace blendroute::actors
