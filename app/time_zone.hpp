// Time-zone offsets from the system's tz database, for tier business hours.
#pragma once

#include <memory>
#include <string>

#include "core/business_hours.hpp"
#include "core/error.hpp"

namespace blendroute::app {

/// The offsets of IANA zone `name` ("Europe/Berlin"), read from the installed tzdata.
result<std::shared_ptr<const zone_offsets>> load_time_zone(const std::string& name);

}  // namespace blendroute::app
