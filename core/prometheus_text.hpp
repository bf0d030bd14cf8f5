// The Prometheus text exposition format (version 0.0.4), written by hand: no client library
// is packaged for Debian 12.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/latency_histogram.hpp"

namespace blendroute {

/// A label set, `{"tier", "standard"}` pairs in order.
using metric_labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Appends metric families to one text body. Each family is declared once with `family`,
/// then its samples follow.
class prometheus_text {
public:
  /// `# HELP` and `# TYPE` lines; `type` is `counter`, `gauge` or `histogram`.
  void family(std::string_view name, std::string_view type, std::string_view help);

  void sample(std::string_view name, metric_labels labels, double value);

  /// The `_bucket`, `_sum` and `_count` samples of a latency histogram in seconds, at the
  /// usual latency bounds from 100 µs to 10 s.
  void histogram(std::string_view name, metric_labels labels, const latency_histogram& values);

  const std::string& text() const { return text_; }

private:
  void labelled(std::string_view name, metric_labels labels, std::string_view extra_key = {},
                std::string_view extra_value = {});

  std::string text_;
};

}  // namespace blendroute
