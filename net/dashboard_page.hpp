// The supervisor dashboard served at `/`: one HTML page that polls the supervisor API.
#pragma once

#include <string_view>

namespace blendroute::net {

/// The page, built into the binary from net/dashboard/dashboard.html. It holds no data: it
/// asks for a supervisor token and reads /v1/kpis, /v1/queues, /v1/agents and /v1/rollout.
std::string_view dashboard_page();

}  // namespace blendroute::net
