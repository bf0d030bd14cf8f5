#pragma once
// `--plot PREFIX`: pictures of a run for people, as SVG files (no plotting tool needed).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// A latency histogram and its name in the legend.
using named_histogram = std::pair<std::string, const latency_histogram*>;

/// The percentile spectrum of each histogram, as HdrHistogram draws it: latency (ms) up the
/// side against the percentile along the bottom on a log scale of 1 / (1 − p), from p50 to
/// p99.999, so that the tail a person cares about gets most of the width.
std::string latency_svg(const std::string& title, const std::vector<named_histogram>& series);

/// Acknowledged events per second of the measured window, with the asked rate as a line
/// when there is one (open loop).
std::string throughput_svg(const std::string& title, const std::vector<std::uint64_t>& per_second,
                           double asked_rate);

/// Writes `<prefix>-latency.svg` and, with `per_second` not empty, `<prefix>-throughput.svg`.
/// Returns the files written; an error line goes to `log` for a file that cannot be written.
std::vector<std::string> write_plots(const std::string& prefix, const std::string& title,
                                     const std::vector<named_histogram>& series,
                                     const std::vector<std::uint64_t>& per_second,
                                     double asked_rate, std::ostream& log);

}  // namespace blendroute::load
