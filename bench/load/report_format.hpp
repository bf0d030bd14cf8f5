#pragma once
// Pieces shared by the reports of every mode: number and latency formatting for people, the
// JSON shapes of histograms and counts, and writing the JSON report file.

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "bench/load/json_writer.hpp"
#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// Width of the label column of the human reports.
inline constexpr int report_label_width = 22;

/// 2931 -> "2,931".
std::string with_commas(std::uint64_t number);

/// Pads `text` with spaces on the right to `width`.
std::string pad(std::string text, std::size_t width);

/// A label of the human report: indented and padded to `report_label_width`.
std::string label(const char* text);

/// "p50 1.2 ms  p90 2.1 ms  p99 4 ms  p99.9 8 ms  max 9 ms  (n=1,000)": the same set as the
/// JSON's `write_histogram` (but the mean).
std::string percentiles(const latency_histogram& h);

/// "key 3, other 1" for a count map; `empty` when there is nothing.
std::string list_counts(const std::map<std::string, std::uint64_t>& counts, const char* empty);

/// Writes count, p50/p90/p99/p99.9, max and mean (ms) and saturated as one JSON object.
void write_histogram(json_writer& json, const latency_histogram& h);

/// Writes a count map as one JSON object.
void write_counts(json_writer& json, const std::map<std::string, std::uint64_t>& counts);

/// Writes `text` to the file at `path`, replacing it. Returns false (after logging an error
/// line for `component` to `log`) when the file cannot be written.
bool write_report_file(const std::string& path, const std::string& text, const char* component,
                       std::ostream& log);

}  // namespace blendroute::load
