// `blendroute staffing`: gathers the figures, runs core/staffing and prints a table.
#include "app/staffing_tool.hpp"

#include <cmath>
#include <cstdio>

#include "core/staffing.hpp"
#include "core/time.hpp"
#include "net/kpi_client.hpp"

namespace blendroute::app {
namespace {

void print_outcome(const staffing_outcome& o, bool recommended) {
  char wait[32];
  if (std::isfinite(o.average_wait_seconds)) {
    std::snprintf(wait, sizeof(wait), "%.1f s", o.average_wait_seconds);
  } else {
    std::snprintf(wait, sizeof(wait), "unbounded");
  }
  std::printf("  %6d  %9d  %9.1f %%  %9.1f %%  %12s  %8.1f %%%s\n", o.agents, o.scheduled,
              o.service_level * 100, o.wait_probability * 100, wait, o.occupancy * 100,
              recommended ? "   <- fewest that meet the target" : "");
}

result<duration> duration_option(const std::string& what, const std::string& text) {
  auto parsed = parse_duration(text);
  if (!parsed) {
    return error{errc::bad_value, what + " \"" + text + "\": " + parsed.err().message};
  }
  return *parsed;
}

}  // namespace

int run_staffing(const config& cfg, const staffing_options& options) {
  const tier_policy* tier = nullptr;
  for (const auto& t : cfg.tiers) {
    if (t.name == options.tier) {
      tier = &t;
    }
  }
  if (tier == nullptr) {
    std::fprintf(stderr, "staffing: no tier \"%s\" in the configuration\n", options.tier.c_str());
    return 2;
  }

  staffing_input input;
  input.service_level = options.service_level;
  input.concurrency = options.concurrency;
  input.shrinkage = options.shrinkage;
  input.answer_within_seconds = static_cast<double>(tier->human_response.count()) / 1000.0;
  if (options.answer_within) {
    auto within = duration_option("--answer-within", *options.answer_within);
    if (!within) {
      std::fprintf(stderr, "staffing: %s\n", within.err().message.c_str());
      return 2;
    }
    input.answer_within_seconds = static_cast<double>(within->count()) / 1000.0;
  }
  if (options.handle_time) {
    auto handle = duration_option("--handle-time", *options.handle_time);
    if (!handle) {
      std::fprintf(stderr, "staffing: %s\n", handle.err().message.c_str());
      return 2;
    }
    input.handle_seconds = static_cast<double>(handle->count()) / 1000.0;
  }
  if (options.arrivals_per_hour) {
    input.arrivals_per_hour = *options.arrivals_per_hour;
  }

  const char* source = "given";
  if (options.from && (!options.arrivals_per_hour || !options.handle_time)) {
    const std::string& from = *options.from;
    const auto colon = from.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      std::fprintf(stderr, "staffing: --from \"%s\" must be host:port\n", from.c_str());
      return 2;
    }
    int port = 0;
    try {
      port = std::stoi(from.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
    if (port <= 0 || port > 65535) {
      std::fprintf(stderr, "staffing: --from \"%s\": bad port\n", from.c_str());
      return 2;
    }
    const std::string token = options.token.empty() ? cfg.auth.supervisor : options.token;
    auto live = net::fetch_tier_workload(from.substr(0, colon), static_cast<std::uint16_t>(port),
                                         token, options.tier, std::chrono::seconds{5});
    if (!live) {
      std::fprintf(stderr, "staffing: %s\n", live.err().message.c_str());
      return 3;
    }
    if (!options.arrivals_per_hour) {
      if (live->observed_seconds <= 0 || live->escalated == 0) {
        std::fprintf(stderr,
                     "staffing: the router saw no escalation in tier \"%s\" yet; give "
                     "--arrivals-per-hour\n",
                     options.tier.c_str());
        return 2;
      }
      // Escalated conversations that finished in the window: in a steady state, as many
      // arrive as finish.
      input.arrivals_per_hour =
          static_cast<double>(live->escalated) / live->observed_seconds * 3600.0;
    }
    if (!options.handle_time) {
      if (!live->average_handle_seconds) {
        std::fprintf(stderr,
                     "staffing: no conversation of tier \"%s\" was handled by a human in the "
                     "window yet; give --handle-time\n",
                     options.tier.c_str());
        return 2;
      }
      input.handle_seconds = *live->average_handle_seconds;
    }
    source = "live";
  }
  if (input.arrivals_per_hour <= 0 && !options.arrivals_per_hour) {
    std::fprintf(stderr, "staffing: give --arrivals-per-hour, or --from a running router\n");
    return 2;
  }
  if (input.handle_seconds <= 0 && !options.handle_time) {
    std::fprintf(stderr, "staffing: give --handle-time, or --from a running router\n");
    return 2;
  }

  auto plan = plan_staffing(input);
  if (!plan) {
    std::fprintf(stderr, "staffing: %s\n", plan.err().message.c_str());
    return 2;
  }
  std::printf(
      "tier %s (%s figures): %.1f escalations an hour, handle time %.0f s, %d at once "
      "per agent\n",
      options.tier.c_str(), source, input.arrivals_per_hour, input.handle_seconds,
      input.concurrency);
  std::printf("target: %.0f %% answered within %.0f s; shrinkage %.0f %%; traffic %.2f erlangs\n",
              input.service_level * 100, input.answer_within_seconds, input.shrinkage * 100,
              plan->traffic_erlangs);
  std::printf("  %6s  %9s  %11s  %11s  %12s  %10s\n", "agents", "scheduled", "in target",
              "must wait", "average wait", "occupancy");
  for (const auto& outcome : plan->around) {
    print_outcome(outcome, outcome.agents == plan->recommended.agents);
  }
  std::printf("recommended: %d agents on conversations, %d scheduled\n", plan->recommended.agents,
              plan->recommended.scheduled);
  return 0;
}

}  // namespace blendroute::app
