// zone_offsets backed by Howard Hinnant's date/tz library (std::chrono's tz ahead of GCC 14).
#include "app/time_zone.hpp"

#include <date/tz.h>

namespace blendroute::app {
namespace {

class tz_offsets final : public zone_offsets {
public:
  explicit tz_offsets(const date::time_zone* zone) : zone_(zone) {}

  duration utc_offset(time_point at) const override {
    const auto info = zone_->get_info(date::sys_time<duration>(at.time_since_epoch()));
    return std::chrono::duration_cast<duration>(info.offset);
  }

private:
  const date::time_zone* zone_;  ///< Owned by the library's database, alive for the process.
};

}  // namespace

result<std::shared_ptr<const zone_offsets>> load_time_zone(const std::string& name) {
  try {
    return std::shared_ptr<const zone_offsets>(
        std::make_shared<tz_offsets>(date::locate_zone(name)));
  } catch (const std::exception& e) {
    return error{errc::config_invalid, "unknown time zone \"" + name + "\": " + e.what()};
  }
}

}  // namespace blendroute::app
