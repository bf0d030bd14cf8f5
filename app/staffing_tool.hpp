// `blendroute staffing`: the agents a tier needs, by Erlang C, from given or live figures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/config.hpp"

namespace blendroute::app {

/// The figures of `blendroute staffing`. What is not given is read from a running router
/// (`from`), or is an error.
struct staffing_options {
  std::string tier;
  std::optional<double> arrivals_per_hour;
  std::optional<std::string> handle_time;    ///< A duration: "6m", "340s".
  std::optional<std::string> answer_within;  ///< Default: the tier's `human_response`.
  std::optional<std::string> from;           ///< host:port of a running router's HTTP API.
  std::string token;                         ///< Supervisor token; default: the config's.
  double service_level = 0.8;
  int concurrency = 1;
  double shrinkage = 0;
};

/// Prints the recommendation and the outcomes around it. Returns the exit code: 0, 2 for
/// figures that are missing or out of range, 3 when the live figures cannot be read.
int run_staffing(const config& cfg, const staffing_options& options);

}  // namespace blendroute::app
