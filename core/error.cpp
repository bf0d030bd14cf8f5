// Wire names of the error codes.
#include "core/error.hpp"

namespace blendroute {

std::string_view wire_code(errc code) {
  switch (code) {
    case errc::bad_json:
      return "bad_json";
    case errc::bad_utf8:
      return "bad_utf8";
    case errc::frame_too_large:
      return "frame_too_large";
    case errc::missing_field:
      return "missing_field";
    case errc::bad_type:
      return "bad_type";
    case errc::bad_value:
      return "bad_value";
    case errc::unknown_type:
      return "unknown_type";
    case errc::unauthorized:
      return "unauthorized";
    case errc::forbidden:
      return "forbidden";
    case errc::not_owner:
      return "not_owner";
    case errc::stale_offer:
      return "stale_offer";
    case errc::unknown_conversation:
      return "unknown_conversation";
    case errc::unavailable:
    case errc::journal_io:
      // A client only needs to know that nothing was applied and it may retry.
      return "unavailable";
    case errc::config_invalid:
      return "bad_value";
  }
  return "bad_value";
}

}  // namespace blendroute
