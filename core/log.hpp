// The log sink every layer writes to; the application injects a spdlog-backed one.
#pragma once

#include <cstdint>
#include <string_view>

namespace blendroute {

enum class log_level : std::uint8_t { trace, debug, info, warn, error };

/// Where operator-facing log lines go. A line is `<event> key=value …`; the component
/// (`net.tcp`, `actors.conversation`) is given separately. Thread-safe.
class log_sink {
public:
  virtual ~log_sink() = default;

  virtual bool enabled(log_level level) const = 0;

  virtual void write(log_level level, std::string_view component, std::string_view line) = 0;
};

/// A sink that drops everything (tests that do not look at logs).
class null_log_sink final : public log_sink {
public:
  bool enabled(log_level) const override { return false; }

  void write(log_level, std::string_view, std::string_view) override {}
};

}  // namespace blendroute
