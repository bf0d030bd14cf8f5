// zone_offsets backed by Howard Hinnant's date/tz library (std::chrono's tz ahead of GCC 14).
#include "app/time_zone.hpp"

#include <date/tz.h>

namespace blendroute::app {
namespace {

class tz_offsets final : public zone_offsets {
public:
  tz_offsets(const date::time_zone* zone, duration fallback) : zone_(zone), fallback_(fallback) {}

  /// Runs on actor threads: nothing may throw out of it. The zone's rules are loaded when
  /// the configuration is read, so a failure here would be the library's own.
  duration utc_offset(time_point at) const override {
    try {
      const auto info = zone_->get_info(date::sys_time<duration>(at.time_since_epoch()));
      return std::chrono::duration_cast<duration>(info.offset);
    } catch (const std::exception&) {
      return fallback_;
    }
  }

private:
  const date::time_zone* zone_;  ///< Owned by the library's database, alive for the process.
  duration fallback_;            ///< The offset when the zone was loaded.
};

}  // namespace

result<std::shared_ptr<const zone_offsets>> load_time_zone(const std::string& name) {
  try {
    const date::time_zone* zone = date::locate_zone(name);
    // Asking once now loads the zone's rules here, where a failure is a configuration error.
    const auto now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    const auto offset = std::chrono::duration_cast<duration>(zone->get_info(now).offset);
    return std::shared_ptr<const zone_offsets>(std::make_shared<tz_offsets>(zone, offset));
  } catch (const std::exception& e) {
    return error{errc::config_invalid, "unknown time zone \"" + name + "\": " + e.what()};
  }
}

}  // namespace blendroute::app
