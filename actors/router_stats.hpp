// Counters the actors keep for operators: SLA breaches per tier and SLA, actor failures.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "core/config.hpp"

namespace blendroute::actors {

/// Lock-free counters, written from any actor thread. The tier set is fixed at start.
class router_stats {
public:
  explicit router_stats(const config& cfg);

  /// Counts a breach of `sla` in `tier` (a level-1 breach: later escalation steps of the same
  /// deadline are the same breach).
  void count_breach(const std::string& tier, sla_kind sla);

  void count_conversation_failure() { failures_.fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t breaches(const std::string& tier, sla_kind sla) const;

  std::uint64_t conversation_failures() const { return failures_.load(); }

  /// `tier=<name> bot_attempt=N …` per tier, for the shutdown summary.
  std::string summary() const;

private:
  using per_sla = std::array<std::atomic<std::uint64_t>, 4>;

  std::map<std::string, per_sla> breaches_;
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace blendroute::actors
