// Running the router: journal, actors and listeners started and stopped in order.
#pragma once

#include <string>

#include "core/config.hpp"
#include "core/log.hpp"

namespace blendroute::app {

/// Options of `blendroute serve` beyond the configuration file.
struct serve_options {
  /// When set, the bound TCP port (line 1) and HTTP port (line 2) are written here once
  /// listening.
  std::string port_file;
};

/// Serves until SIGINT or SIGTERM, then stops cleanly. Returns the process exit code.
int serve(const config& cfg, const serve_options& options, log_sink& log);

}  // namespace blendroute::app
