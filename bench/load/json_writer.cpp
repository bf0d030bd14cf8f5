// A small append-only JSON builder for the frames the load tool sends and for its report.

#include "bench/load/json_writer.hpp"

#include <cassert>
#include <cmath>
#include <cstdio>

namespace blendroute::load {

void append_json_escaped(std::string& out, std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";

  // Copy runs of plain bytes in one go; most text has no byte that needs escaping.
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') {
      continue;
    }
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else {
      out.append("\\u00");
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0xf]);
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  empty_.push_back(true);
  return *this;
}

json_writer& json_writer::end_object() {
  assert(!empty_.empty() && !after_key_);
  empty_.pop_back();
  out_.push_back('}');
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  empty_.push_back(true);
  return *this;
}

json_writer& json_writer::end_array() {
  assert(!empty_.empty() && !after_key_);
  empty_.pop_back();
  out_.push_back(']');
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  assert(!empty_.empty() && !after_key_);
  separate();
  out_.push_back('"');
  append_json_escaped(out_, name);
  out_.append("\":");
  after_key_ = true;
  return *this;
}

json_writer& json_writer::string(std::string_view text) {
  separate();
  out_.push_back('"');
  append_json_escaped(out_, text);
  out_.push_back('"');
  return *this;
}

json_writer& json_writer::integer(std::int64_t number) {
  separate();
  out_.append(std::to_string(number));
  return *this;
}

json_writer& json_writer::unsigned_integer(std::uint64_t number) {
  separate();
  out_.append(std::to_string(number));
  return *this;
}

json_writer& json_writer::number(double value, int digits) {
  if (!std::isfinite(value)) {
    return null();
  }

  separate();
  char text[40];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  out_.append(text);
  return *this;
}

json_writer& json_writer::boolean(bool value) {
  separate();
  out_.append(value ? "true" : "false");
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_.append("null");
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_.append(json);
  return *this;
}

json_writer& json_writer::field(std::string_view name, std::string_view text) {
  return key(name).string(text);
}

json_writer& json_writer::field_integer(std::string_view name, std::int64_t number) {
  return key(name).integer(number);
}

json_writer& json_writer::field_unsigned(std::string_view name, std::uint64_t number) {
  return key(name).unsigned_integer(number);
}

json_writer& json_writer::field_raw(std::string_view name, std::string_view json) {
  return key(name).raw(json);
}

void json_writer::clear() {
  out_.clear();
  empty_.clear();
  after_key_ = false;
}

void json_writer::separate() {
  // A value right after its key needs no comma; neither does the first element of a container.
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!empty_.empty()) {
    if (!empty_.back()) {
      out_.push_back(',');
    }
    empty_.back() = false;
  }
}

}  // namespace blendroute::load
