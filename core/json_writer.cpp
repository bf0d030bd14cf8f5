// JSON text building with string escaping.
#include "core/json_writer.hpp"

#include <charconv>
#include <cstdio>

namespace blendroute {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  // Most text needs no escape: copy the runs between escapes whole, not byte by byte.
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') {
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[u >> 4]);
        out.push_back(hex[u & 0xf]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void json_writer::separate() {
  if (!first_) {
    out_.push_back(',');
  }
  first_ = false;
}

void json_writer::string(std::string_view text) {
  append_json_string(out_, text);
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  first_ = true;
  return *this;
}

json_writer& json_writer::begin_object(std::string_view name) {
  key(name);
  out_.push_back('{');
  first_ = true;
  return *this;
}

json_writer& json_writer::end_object() {
  out_.push_back('}');
  first_ = false;
  return *this;
}

json_writer& json_writer::begin_array(std::string_view name) {
  key(name);
  out_.push_back('[');
  first_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  first_ = true;
  return *this;
}

json_writer& json_writer::end_array() {
  out_.push_back(']');
  first_ = false;
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  separate();
  string(name);
  out_.push_back(':');
  return *this;
}

json_writer& json_writer::field(std::string_view name, std::string_view text) {
  key(name);
  string(text);
  return *this;
}

json_writer& json_writer::field(std::string_view name, std::int64_t number) {
  key(name);
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), number);
  (void)ec;
  out_.append(buf, end);
  return *this;
}

json_writer& json_writer::field(std::string_view name, double number) {
  key(name);
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.4g", number);
  out_.append(buf, static_cast<std::size_t>(n));
  return *this;
}

json_writer& json_writer::field(std::string_view name, bool flag) {
  key(name);
  out_ += flag ? "true" : "false";
  return *this;
}

json_writer& json_writer::raw_field(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

json_writer& json_writer::value(std::string_view text) {
  separate();
  string(text);
  return *this;
}

}  // namespace blendroute
