// The operator log: blendroute's log sink written through spdlog to stderr.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "core/log.hpp"

namespace spdlog {
class logger;
}

namespace blendroute::app {

/// Writes `component event key=value…` lines to stderr with a timestamp and level.
class spdlog_sink final : public log_sink {
public:
  explicit spdlog_sink(log_level threshold);
  ~spdlog_sink() override;

  bool enabled(log_level level) const override { return level >= threshold_; }

  void write(log_level level, std::string_view component, std::string_view line) override;

private:
  log_level threshold_;
  std::shared_ptr<spdlog::logger> logger_;
};

/// Parses `trace`, `debug`, `info`, `warn` or `error`.
std::optional<log_level> parse_log_level(std::string_view text);

}  // namespace blendroute::app
