// Prometheus text exposition: escaping, label sets, histogram buckets.
#include "core/prometheus_text.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace blendroute {
namespace {

/// Label values escape backslash, double quote and newline; HELP text backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

void append_number(std::string& out, double value) {
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  char buffer[32];
  // Integers as integers (counters); the shortest exact-enough form otherwise.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.9g", value);
  }
  out += buffer;
}

}  // namespace

void prometheus_text::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_.push_back(' ');
  append_escaped(text_, help, false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_.push_back(' ');
  text_ += type;
  text_.push_back('\n');
}

void prometheus_text::labelled(std::string_view name, metric_labels labels,
                               std::string_view extra_key, std::string_view extra_value) {
  text_ += name;
  if (labels.size() == 0 && extra_key.empty()) {
    return;
  }
  text_.push_back('{');
  bool first = true;
  auto label = [&](std::string_view key, std::string_view value) {
    if (!first) {
      text_.push_back(',');
    }
    first = false;
    text_ += key;
    text_ += "=\"";
    append_escaped(text_, value, true);
    text_.push_back('"');
  };
  for (const auto& [key, value] : labels) {
    label(key, value);
  }
  if (!extra_key.empty()) {
    label(extra_key, extra_value);
  }
  text_.push_back('}');
}

void prometheus_text::sample(std::string_view name, metric_labels labels, double value) {
  labelled(name, labels);
  text_.push_back(' ');
  append_number(text_, value);
  text_.push_back('\n');
}

void prometheus_text::histogram(std::string_view name, metric_labels labels,
                                const latency_histogram& values) {
  static constexpr std::array<std::pair<const char*, double>, 14> bounds = {{
      {"0.0001", 0.0001},
      {"0.00025", 0.00025},
      {"0.0005", 0.0005},
      {"0.001", 0.001},
      {"0.0025", 0.0025},
      {"0.005", 0.005},
      {"0.01", 0.01},
      {"0.025", 0.025},
      {"0.05", 0.05},
      {"0.1", 0.1},
      {"0.25", 0.25},
      {"1", 1.0},
      {"2.5", 2.5},
      {"10", 10.0},
  }};
  const std::string bucket = std::string(name) + "_bucket";
  for (const auto& [text, seconds] : bounds) {
    labelled(bucket, labels, "le", text);
    text_.push_back(' ');
    const auto bound = std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
    append_number(text_, static_cast<double>(values.count_at_most(bound)));
    text_.push_back('\n');
  }
  labelled(bucket, labels, "le", "+Inf");
  text_.push_back(' ');
  append_number(text_, static_cast<double>(values.count()));
  text_.push_back('\n');
  sample(std::string(name) + "_sum", labels, values.sum_seconds());
  sample(std::string(name) + "_count", labels, static_cast<double>(values.count()));
}

}  // namespace blendroute
