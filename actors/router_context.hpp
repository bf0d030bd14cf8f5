// What every blendroute actor shares: configuration, journal, egress and the other actors.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/conversation_directory.hpp"
#include "core/config.hpp"
#include "core/egress.hpp"
#include "core/faq_bot.hpp"
#include "core/log.hpp"
#include "core/time.hpp"
#include "persist/journal.hpp"

namespace blendroute::actors {

class sla_clock;
class router_stats;
class kpi_board;
class rollout_board;
struct ingress_envelope;

/// The configuration the actors read, replaced as a whole by a reload (SIGHUP) while actors
/// read it on their threads. A replaced configuration is kept until the router goes, so
/// that a reference an actor took from it stays valid: reloads are rare, and a
/// configuration is a few KB.
class live_config {
public:
  live_config() = default;
  live_config(const live_config&) = delete;
  live_config& operator=(const live_config&) = delete;

  /// Sets the first configuration (during start-up, or in tests).
  live_config& operator=(std::shared_ptr<const config> first) {
    replace(std::move(first));
    return *this;
  }

  /// Makes `next` the configuration every later read sees. Thread-safe.
  void replace(std::shared_ptr<const config> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_.store(next.get(), std::memory_order_release);
    kept_.push_back(std::move(next));
  }

  const config* operator->() const { return current_.load(std::memory_order_acquire); }

  const config& operator*() const { return *operator->(); }

private:
  std::atomic<const config*> current_{nullptr};
  std::mutex mutex_;
  std::vector<std::shared_ptr<const config>> kept_;
};

/// Shared by all actors of one router. The router owns it and outlives every actor; the
/// actor handles are set once during start-up, before any event is submitted.
struct router_context {
  live_config cfg;
  persist::journal* journal = nullptr;
  egress_sink* egress = nullptr;
  const faq_bot* bot = nullptr;
  log_sink* log = nullptr;
  std::function<time_point()> clock;
  sla_clock* timers = nullptr;       ///< Every SLA and inactivity timer.
  router_stats* stats = nullptr;     ///< Breach and failure counters.
  kpi_board* kpis = nullptr;         ///< The outcome KPIs; null in tests that do not look.
  rollout_board* rollout = nullptr;  ///< Cohorts and QA gates; null in tests that do not look.
  conversation_directory directory;
  /// Passivated conversation actors still forwarding stragglers, so that stop() reaches them.
  conversation_directory lingering;
  /// Dispatches an event whose id is already claimed (used by a passivating conversation
  /// actor to hand on what reached it after it left the directory).
  std::function<void(ingress_envelope)> redispatch;
  caf::actor agent_pool;
  caf::actor bot_connector;
  std::map<std::string, caf::actor> tier_routers;

  /// The policy of `tier`, or of the default tier when `tier` is no longer configured.
  const tier_policy& policy(const std::string& tier) const;

  /// Writes `line` at `level` for `component` when that level is enabled.
  void log_line(log_level level, std::string_view component, const std::string& line) const;
};

}  // namespace blendroute::actors
