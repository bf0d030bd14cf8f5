// Walking opening windows in local time to place SLA deadlines in open time.
#include "core/business_hours.hpp"

#include <algorithm>
#include <charconv>

namespace blendroute {
namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 1440 * minute_ms;

/// Days are counted in local time; 1970-01-01 was a Thursday (weekday 3 with Monday 0).
int weekday_of(std::int64_t day) {
  return static_cast<int>(((day % 7) + 7 + 3) % 7);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

bool parse_number(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool parse_opening(std::string_view text, int& open_minute, int& close_minute) {
  // "HH:MM-HH:MM"
  if (text.size() != 11 || text[2] != ':' || text[5] != '-' || text[8] != ':') {
    return false;
  }
  int open_h = 0, open_m = 0, close_h = 0, close_m = 0;
  if (!parse_number(text.substr(0, 2), open_h) || !parse_number(text.substr(3, 2), open_m)
      || !parse_number(text.substr(6, 2), close_h) || !parse_number(text.substr(9, 2), close_m)) {
    return false;
  }
  if (open_h > 23 || open_m > 59 || close_m > 59 || close_h > 24 || (close_h == 24 && close_m)) {
    return false;
  }
  open_minute = open_h * 60 + open_m;
  close_minute = close_h * 60 + close_m;
  return close_minute > open_minute;
}

bool parse_local_date(std::string_view text, std::int64_t& days) {
  // "YYYY-MM-DD", converted with the civil-from-days algorithm in reverse.
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  int y = 0, m = 0, d = 0;
  if (!parse_number(text.substr(0, 4), y) || !parse_number(text.substr(5, 2), m)
      || !parse_number(text.substr(8, 2), d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return false;
  }
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  days = era * 146097 + doe - 719468;
  return true;
}

bool business_calendar::open_at(time_point at) const {
  if (weekly.empty()) {
    return true;
  }
  const std::int64_t local = unix_ms(at) + (zone ? zone->utc_offset(at).count() : 0);
  const std::int64_t day = floor_div(local, day_ms);
  if (std::find(holidays.begin(), holidays.end(), day) != holidays.end()) {
    return false;
  }
  const std::int64_t minute = (local - day * day_ms) / minute_ms;
  return std::any_of(weekly.begin(), weekly.end(), [&](const opening_window& w) {
    return w.weekday == weekday_of(day) && minute >= w.open_minute && minute < w.close_minute;
  });
}

time_point business_calendar::after_open_time(time_point start, duration amount) const {
  if (weekly.empty()) {
    return start + amount;
  }
  auto offset_at = [&](time_point t) {
    return zone ? zone->utc_offset(t).count() : 0;
  };
  auto to_utc = [&](std::int64_t local_ms) {
    // The offset at the result can differ from the one at the start (a DST change in
    // between); one correction step settles it.
    const std::int64_t guess = local_ms - offset_at(start);
    return from_unix_ms(local_ms - offset_at(from_unix_ms(guess)));
  };

  std::int64_t remaining = amount.count();
  std::int64_t cursor = unix_ms(start) + offset_at(start);  // local ms
  std::int64_t day = floor_div(cursor, day_ms);
  // Two years of days is far beyond any SLA; a calendar that never opens stops here.
  for (int step = 0; step < 2 * 366; ++step, ++day) {
    if (std::find(holidays.begin(), holidays.end(), day) != holidays.end()) {
      continue;
    }
    std::vector<opening_window> today;
    for (const auto& w : weekly) {
      if (w.weekday == weekday_of(day)) {
        today.push_back(w);
      }
    }
    std::sort(today.begin(), today.end(),
              [](const auto& a, const auto& b) { return a.open_minute < b.open_minute; });
    for (const auto& w : today) {
      const std::int64_t open = day * day_ms + w.open_minute * minute_ms;
      const std::int64_t close = day * day_ms + w.close_minute * minute_ms;
      const std::int64_t from = std::max(open, cursor);
      if (from >= close) {
        continue;
      }
      if (remaining <= close - from) {
        return to_utc(from + remaining);
      }
      remaining -= close - from;
      cursor = close;
    }
  }
  return start + amount;
}

}  // namespace blendroute
