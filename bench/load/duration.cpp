// Parses and prints the durations of the command line and of the report.

#include "bench/load/duration.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace blendroute::load {

namespace {

// Longest duration accepted: a week is far beyond any run and keeps the nanosecond count safe.
constexpr double max_seconds = 7.0 * 24 * 3600;

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  const auto unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0 || unit_at == std::string_view::npos) {
    return std::nullopt;
  }

  double number = 0;
  const auto digits = text.substr(0, unit_at);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return std::nullopt;
  }

  const auto unit = text.substr(unit_at);
  double seconds_per_unit = 0;
  if (unit == "us") {
    seconds_per_unit = 1e-6;
  } else if (unit == "ms") {
    seconds_per_unit = 1e-3;
  } else if (unit == "s") {
    seconds_per_unit = 1;
  } else if (unit == "m") {
    seconds_per_unit = 60;
  } else if (unit == "h") {
    seconds_per_unit = 3600;
  } else {
    return std::nullopt;
  }

  const double seconds = number * seconds_per_unit;
  if (!std::isfinite(seconds) || seconds > max_seconds) {
    return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

std::string format_latency(std::chrono::nanoseconds value) {
  const double ms = static_cast<double>(value.count()) / 1e6;
  char text[32];
  if (ms < 0.1) {
    std::snprintf(text, sizeof text, "%.1f us", ms * 1e3);
  } else if (ms < 10) {
    std::snprintf(text, sizeof text, "%.2f ms", ms);
  } else if (ms < 100) {
    std::snprintf(text, sizeof text, "%.1f ms", ms);
  } else if (ms < 10'000) {
    std::snprintf(text, sizeof text, "%.0f ms", ms);
  } else {
    std::snprintf(text, sizeof text, "%.1f s", ms / 1e3);
  }
  return text;
}

std::string format_duration(std::chrono::nanoseconds value) {
  struct unit {
    std::int64_t ns;
    const char* name;
  };

  constexpr unit units[] = {{3'600'000'000'000, "h"},
                            {60'000'000'000, "m"},
                            {1'000'000'000, "s"},
                            {1'000'000, "ms"},
                            {1'000, "us"}};

  const std::int64_t ns = value.count();
  for (const auto& u : units) {
    if (ns != 0 && ns % u.ns == 0) {
      return std::to_string(ns / u.ns) + u.name;
    }
  }
  if (ns == 0) {
    return "0s";
  }
  // Not a whole number of any unit: fall back to fractional milliseconds, still parseable.
  char text[32];
  std::snprintf(text, sizeof text, "%.3fms", static_cast<double>(ns) / 1e6);
  return text;
}

}  // namespace blendroute::load
