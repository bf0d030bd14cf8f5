// Pieces shared by the reports of every mode: number and latency formatting for people, the
// JSON shapes of histograms and counts, and writing the JSON report file.

#include "bench/load/report_format.hpp"

#include <fstream>

#include "bench/load/duration.hpp"

namespace blendroute::load {

std::string with_commas(std::uint64_t number) {
  std::string digits = std::to_string(number);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return out;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) {
    text.append(width - text.size(), ' ');
  }
  return text;
}

std::string label(const char* text) {
  return "  " + pad(text, report_label_width);
}

std::string percentiles(const latency_histogram& h) {
  if (h.count() == 0) {
    return "no samples";
  }

  std::string out = "p50 " + format_latency(h.percentile(50));
  out += "  p90 " + format_latency(h.percentile(90));
  out += "  p99 " + format_latency(h.percentile(99));
  out += "  p99.9 " + format_latency(h.percentile(99.9));
  out += "  max " + format_latency(h.max()) + "  (n=" + with_commas(h.count()) + ")";
  return out;
}

std::string list_counts(const std::map<std::string, std::uint64_t>& counts, const char* empty) {
  std::string out;
  for (const auto& [name, count] : counts) {
    out += (out.empty() ? "" : ", ") + name + " " + with_commas(count);
  }
  return out.empty() ? empty : out;
}

void write_histogram(json_writer& json, const latency_histogram& h) {
  const auto ms = [](std::chrono::nanoseconds value) {
    return static_cast<double>(value.count()) / 1e6;
  };
  json.begin_object()
      .key("count")
      .unsigned_integer(h.count())
      .key("p50_ms")
      .number(ms(h.percentile(50)))
      .key("p90_ms")
      .number(ms(h.percentile(90)))
      .key("p99_ms")
      .number(ms(h.percentile(99)))
      .key("p999_ms")
      .number(ms(h.percentile(99.9)))
      .key("max_ms")
      .number(ms(h.max()))
      .key("mean_ms")
      .number(ms(h.mean()))
      .key("saturated")
      .unsigned_integer(h.saturated())
      .end_object();
}

void write_counts(json_writer& json, const std::map<std::string, std::uint64_t>& counts) {
  json.begin_object();
  for (const auto& [name, count] : counts) {
    json.key(name).unsigned_integer(count);
  }
  json.end_object();
}

bool write_report_file(const std::string& path, const std::string& text, const char* component,
                       std::ostream& log) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    log << "error " << component << " cannot write report file=" << path << std::endl;
    return false;
  }
  return true;
}

}  // namespace blendroute::load
