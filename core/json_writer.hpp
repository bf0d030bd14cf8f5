// A small JSON text builder for egress frames and journal records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace blendroute {

/// Appends JSON to a caller-owned string. The caller keeps the structure valid (keys inside
/// objects, commas are inserted here). Strings are escaped; non-ASCII UTF-8 passes through,
/// which is valid because every string the router holds was validated as UTF-8 on ingress.
class json_writer {
public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array(std::string_view key);
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& begin_object(std::string_view key);
  json_writer& key(std::string_view key);
  json_writer& field(std::string_view key, std::string_view value);

  json_writer& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }

  json_writer& field(std::string_view key, std::int64_t value);

  json_writer& field(std::string_view key, int value) {
    return field(key, static_cast<std::int64_t>(value));
  }

  json_writer& field(std::string_view key, double value);
  json_writer& field(std::string_view key, bool value);
  json_writer& raw_field(std::string_view key, std::string_view json);
  json_writer& value(std::string_view text);

private:
  void separate();
  void string(std::string_view text);

  std::string& out_;
  bool first_ = true;
};

/// Appends `text` to `out` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace blendroute
