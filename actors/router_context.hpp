// What every blendroute actor shares: configuration, journal, egress and the other actors.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

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
struct ingress_envelope;

/// Shared by all actors of one router. The router owns it and outlives every actor; the
/// actor handles are set once during start-up, before any event is submitted.
struct router_context {
  std::shared_ptr<const config> cfg;
  persist::journal* journal = nullptr;
  egress_sink* egress = nullptr;
  const faq_bot* bot = nullptr;
  log_sink* log = nullptr;
  std::function<time_point()> clock;
  sla_clock* timers = nullptr;    ///< Every SLA and inactivity timer.
  router_stats* stats = nullptr;  ///< Breach and failure counters.
  kpi_board* kpis = nullptr;      ///< The outcome KPIs; null in tests that do not look.
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
