#pragma once
// A small append-only JSON builder for the frames the load tool sends and for its report.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace blendroute::load {

/// Appends `text` to `out` as the body of a JSON string (without the quotes): `"` and `\` are
/// escaped and control characters below 0x20 become `\u00XX`. Every other byte, including
/// UTF-8 sequences, is copied unchanged, so the caller must pass valid UTF-8.
void append_json_escaped(std::string& out, std::string_view text);

/// Builds one JSON value into a string, inserting commas itself.
///
/// Calls must form valid JSON: inside an object every value is preceded by `key()`. The writer
/// checks nesting only with `assert`, since a mistake is a bug in the tool, never bad input.
/// Methods have distinct names instead of overloads so that a `const char*` can never turn into
/// a boolean and an integer never becomes ambiguous. Not thread-safe; cheap to reuse with
/// `clear()`, which keeps the capacity.
class json_writer {
public:
  json_writer& begin_object();

  json_writer& end_object();

  json_writer& begin_array();

  json_writer& end_array();

  /// Writes an object key; the next call writes its value.
  json_writer& key(std::string_view name);

  json_writer& string(std::string_view text);

  json_writer& integer(std::int64_t number);

  json_writer& unsigned_integer(std::uint64_t number);

  /// Writes a finite number with up to `digits` significant digits; NaN and infinity become
  /// `null`, which is what JSON can express.
  json_writer& number(double value, int digits = 6);

  json_writer& boolean(bool value);

  json_writer& null();

  /// Writes `json`, which must already be one valid JSON value (an id echoed from a frame).
  json_writer& raw(std::string_view json);

  /// `key(name)` then `string(text)`: one object member.
  json_writer& field(std::string_view name, std::string_view text);

  /// `key(name)` then `integer(number)`.
  json_writer& field_integer(std::string_view name, std::int64_t number);

  /// `key(name)` then `unsigned_integer(number)`.
  json_writer& field_unsigned(std::string_view name, std::uint64_t number);

  /// `key(name)` then `raw(json)`.
  json_writer& field_raw(std::string_view name, std::string_view json);

  /// The text written so far.
  const std::string& str() const { return out_; }

  /// Empties the writer for the next value and keeps its buffer.
  void clear();

private:
  // Writes the comma that separates this value from the previous one in the same container.
  void separate();

  std::string out_;
  // One entry per open container: true while it has no element yet.
  std::vector<bool> empty_;
  bool after_key_ = false;
};

}  // namespace blendroute::load
