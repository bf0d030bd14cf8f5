// Reads one tier's workload from a running router's `GET /v1/kpis` (for staffing).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/time.hpp"

namespace blendroute::net {

/// What a router measured of one tier over its KPI window.
struct tier_workload {
  double observed_seconds = 0;  ///< The part of the window the counts cover.
  std::uint64_t escalated = 0;  ///< Finished conversations a human was asked for.
  /// Average handle time of those a human handled; none when no one was.
  std::optional<double> average_handle_seconds;
};

/// Reads `tier` from the KPI report at http://`host`:`port`/v1/kpis with a supervisor or
/// admin `token`, waiting at most `timeout`. Errors name what failed: the connection, the
/// status, the JSON, or a tier the router does not report.
result<tier_workload> fetch_tier_workload(const std::string& host, std::uint16_t port,
                                          const std::string& token, const std::string& tier,
                                          duration timeout);

/// Reads `tier` from the body of a `/v1/kpis` answer.
result<tier_workload> parse_tier_workload(const std::string& body, const std::string& tier);

}  // namespace blendroute::net
