// Router time: absolute times and durations in milliseconds, passed in, never read here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace blendroute {

/// A span of router time; configured as "800ms", "5s", "2m", "1h".
using duration = std::chrono::milliseconds;

/// An absolute router time (Unix epoch, millisecond resolution). Deadlines are stored as
/// these so that they keep their meaning across a restart.
using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// A router time that may be unset, in 8 bytes where std::optional<time_point> takes 16:
/// every conversation holds several, and a million conversations are held at once.
class optional_time {
public:
  optional_time() = default;

  optional_time(time_point t) : t_(t) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const { return t_ != unset(); }

  time_point operator*() const { return t_; }

  void reset() { t_ = unset(); }

private:
  static constexpr time_point unset() { return time_point::min(); }

  time_point t_ = unset();
};

/// Unix milliseconds of `t`, as sent on the wire in `at` and `expires_at`.
inline std::int64_t unix_ms(time_point t) {
  return t.time_since_epoch().count();
}

/// The time point at `ms` Unix milliseconds.
inline time_point from_unix_ms(std::int64_t ms) {
  return time_point{duration{ms}};
}

/// Parses "800ms", "5s", "2m", "1h" (a non-negative integer and a unit).
result<duration> parse_duration(std::string_view text);

/// Formats `d` in the largest unit that divides it exactly ("5s", "800ms").
std::string format_duration(duration d);

}  // namespace blendroute
