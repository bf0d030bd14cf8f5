// Counters the actors keep for operators: SLA breaches per tier and SLA, actor failures.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/conversation.hpp"
#include "core/event.hpp"
#include "core/latency_histogram.hpp"

namespace blendroute::actors {

/// Counters written from any actor thread: breaches and failures are atomics; the two
/// latency histograms share one mutex, taken once per bot request and per offer.
// TODO(actors): per-thread histograms merged when read, if that mutex shows up under load.
/// The tier set is fixed at start.
class router_stats {
public:
  explicit router_stats(const config& cfg);

  /// Counts a breach of `sla` in `tier` (a level-1 breach: later escalation steps of the same
  /// deadline are the same breach).
  void count_breach(const std::string& tier, sla_kind sla);

  void count_conversation_failure() { failures_.fetch_add(1, std::memory_order_relaxed); }

  /// An open conversation left state `from` (none: it was not open) for `to` (none: it is
  /// no longer open). For the gauge of open conversations by state.
  void move_open_conversation(std::optional<conversation_state> from,
                              std::optional<conversation_state> to) {
    if (from) {
      open_by_state_[static_cast<std::size_t>(*from)].fetch_sub(1, std::memory_order_relaxed);
    }
    if (to) {
      open_by_state_[static_cast<std::size_t>(*to)].fetch_add(1, std::memory_order_relaxed);
    }
  }

  /// Open conversations in `state` (bot, queued, offered or agent).
  std::int64_t open_conversations(conversation_state state) const {
    return open_by_state_[static_cast<std::size_t>(state)].load(std::memory_order_relaxed);
  }

  /// A failed conversation actor was rebuilt from its journal.
  void count_conversation_restart() { restarts_.fetch_add(1, std::memory_order_relaxed); }

  /// An ingress event of `type` was answered `status` (0 ok, 1 duplicate, 2 rejected).
  void count_ingress(event_type type, std::size_t status) {
    ingress_[static_cast<std::size_t>(type)][status].fetch_add(1, std::memory_order_relaxed);
  }

  std::uint64_t ingress(event_type type, std::size_t status) const {
    return ingress_[static_cast<std::size_t>(type)][status].load(std::memory_order_relaxed);
  }

  /// The SLAs counted per tier, by tier name.
  std::vector<std::string> tiers() const;

  /// Copies of both latency histograms, taken under their lock.
  std::pair<latency_histogram, latency_histogram> latencies() const;

  /// A customer message became a `bot.request` this long after it arrived.
  void record_message_to_bot(std::chrono::nanoseconds elapsed);

  /// An escalated conversation was offered to an agent this long after it was queued.
  void record_escalation_to_offer(std::chrono::nanoseconds elapsed);

  /// `name p50=… p99=… max=… n=…` for both latencies, for the shutdown summary.
  std::string latency_summary() const;

  std::uint64_t breaches(const std::string& tier, sla_kind sla) const;

  std::uint64_t conversation_failures() const { return failures_.load(); }

  std::uint64_t conversation_restarts() const { return restarts_.load(); }

  /// `tier=<name> bot_attempt=N …` per tier, for the shutdown summary.
  std::string summary() const;

private:
  using per_sla = std::array<std::atomic<std::uint64_t>, 4>;

  std::map<std::string, per_sla> breaches_;
  std::array<std::array<std::atomic<std::uint64_t>, 3>, event_type_count> ingress_{};
  /// Indexed by conversation_state; only the open states move.
  std::array<std::atomic<std::int64_t>, 8> open_by_state_{};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> restarts_{0};
  mutable std::mutex latency_mutex_;
  latency_histogram message_to_bot_;
  latency_histogram escalation_to_offer_;
};

}  // namespace blendroute::actors
