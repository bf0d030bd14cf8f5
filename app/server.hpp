// Running the router: journal, actors and listeners started and stopped in order.
#pragma once

#include <functional>
#include <string>

#include "core/config.hpp"
#include "core/log.hpp"

namespace blendroute::app {

/// Options of `blendroute serve` beyond the configuration file.
struct serve_options {
  /// When set, the bound TCP port (line 1) and HTTP port (line 2) are written here once
  /// listening.
  std::string port_file;
  /// Reads the configuration again (the same file and overrides) for a SIGHUP reload; a
  /// reload is refused while unset.
  std::function<result<config>()> reload_config;
};

/// Serves until SIGINT or SIGTERM, then stops cleanly; SIGHUP reloads what can change live
/// (tiers' settings, routing) and logs what needs a restart. Returns the process exit code.
int serve(const config& cfg, const serve_options& options, log_sink& log);

}  // namespace blendroute::app
