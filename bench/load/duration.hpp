#pragma once
// Parses and prints the durations of the command line ("800ms", "5s", "2m") and of the report.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace blendroute::load {

/// Parses a non-negative duration: a decimal number followed by one of the units `us`, `ms`,
/// `s`, `m` or `h`, as in "800ms", "1.5s", "2m". Returns nullopt for anything else. A bare
/// number is refused on purpose, so that "5" is never silently read as seconds or milliseconds.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Formats a latency for people with about three significant digits: "8.2 us", "0.31 ms",
/// "19.2 ms", "412 ms", "12.3 s".
std::string format_latency(std::chrono::nanoseconds value);

/// Formats a duration in the command-line syntax, choosing the largest unit that is exact:
/// "800ms", "5s", "2m". Used to print defaults and settings back to the user.
std::string format_duration(std::chrono::nanoseconds value);

}  // namespace blendroute::load
