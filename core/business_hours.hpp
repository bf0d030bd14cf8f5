// Business hours of a tier: when its SLA clocks run, and when humans are there at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace blendroute {

/// A time zone's offset from UTC at an instant (daylight saving included). Implemented
/// outside `core/`, where the time-zone database can be read.
class zone_offsets {
public:
  virtual ~zone_offsets() = default;

  virtual duration utc_offset(time_point at) const = 0;
};

/// One opening interval on a weekday, in local minutes since midnight.
struct opening_window {
  int weekday = 0;       ///< 0 Monday … 6 Sunday.
  int open_minute = 0;   ///< 0–1439.
  int close_minute = 0;  ///< After `open_minute`, at most 1440 (midnight).

  bool operator==(const opening_window&) const = default;
};

/// What a new conversation gets while the tier is closed.
enum class off_hours_path : std::uint8_t {
  bot,    ///< The bot only; an escalation is refused with `off_hours_text`.
  queue,  ///< Queued for the next opening, with `off_hours_text` sent to the customer.
};

/// Weekly opening hours and holidays in one time zone. Outside them the tier's SLA clocks
/// stop: a deadline is the instant at which its length of *open* time has passed.
struct business_calendar {
  std::string time_zone;  ///< IANA name, for example "Europe/Berlin".
  std::vector<opening_window> weekly;
  std::vector<std::int64_t> holidays;  ///< Local days since 1970-01-01 with no opening.
  off_hours_path off_hours = off_hours_path::bot;
  std::string off_hours_text =
      "We are closed right now. An agent will answer as soon as we open again.";
  std::shared_ptr<const zone_offsets> zone;  ///< Set when the configuration is loaded.

  /// The same hours, holidays and off-hours path (the zone tables follow from the name).
  bool operator==(const business_calendar& other) const {
    return time_zone == other.time_zone && weekly == other.weekly && holidays == other.holidays
           && off_hours == other.off_hours && off_hours_text == other.off_hours_text;
  }

  /// Whether the tier is open at `at`.
  bool open_at(time_point at) const;

  /// The instant at which `amount` of open time has passed since `start`.
  time_point after_open_time(time_point start, duration amount) const;
};

/// Parses "08:00-18:00" into minutes; false when malformed or not increasing.
bool parse_opening(std::string_view text, int& open_minute, int& close_minute);

/// Parses "2026-12-25" into days since 1970-01-01; false when malformed.
bool parse_local_date(std::string_view text, std::int64_t& days);

}  // namespace blendroute
