// Duration parsing and formatting for configuration values.
#include "core/time.hpp"

#include <charconv>

namespace blendroute {

result<duration> parse_duration(std::string_view text) {
  std::int64_t amount = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, amount);
  // A year in milliseconds is far beyond any SLA, and keeps the multiplications below exact.
  constexpr std::int64_t max_amount = 365LL * 24 * 3'600'000;
  if (ec != std::errc{} || end == first || amount < 0 || amount > max_amount) {
    return {errc::bad_value, "expected a duration such as \"800ms\", \"5s\" or \"2m\""};
  }

  std::string_view unit(end, static_cast<std::size_t>(last - end));
  if (unit == "ms") {
    return duration{amount};
  }
  if (unit == "s") {
    return duration{amount * 1000};
  }
  if (unit == "m") {
    return duration{amount * 60'000};
  }
  if (unit == "h") {
    return duration{amount * 3'600'000};
  }
  if (unit == "d") {
    return duration{amount * 86'400'000};
  }
  return {errc::bad_value,
          "unknown duration unit in \"" + std::string(text) + "\" (ms, s, m, h, d)"};
}

std::string format_duration(duration d) {
  const std::int64_t ms = d.count();
  if (ms != 0 && ms % 86'400'000 == 0) {
    return std::to_string(ms / 86'400'000) + "d";
  }
  if (ms != 0 && ms % 3'600'000 == 0) {
    return std::to_string(ms / 3'600'000) + "h";
  }
  if (ms != 0 && ms % 60'000 == 0) {
    return std::to_string(ms / 60'000) + "m";
  }
  if (ms != 0 && ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

}  // namespace blendroute
