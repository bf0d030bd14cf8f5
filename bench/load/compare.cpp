// Comparing a run with a saved one: the figures both have, each judged against a threshold.
#include "bench/load/compare.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include <simdjson.h>

#include "bench/load/report_format.hpp"

namespace blendroute::load {
namespace {

std::optional<double> number_at(simdjson::dom::element doc, std::string_view key) {
  double value = 0;
  if (doc[key].get(value) == simdjson::SUCCESS) {
    return value;
  }
  std::int64_t integer = 0;
  if (doc[key].get(integer) == simdjson::SUCCESS) {
    return static_cast<double>(integer);
  }
  return std::nullopt;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

double figure_change::change() const {
  return baseline == 0 ? 0 : (current - baseline) / baseline;
}

bool comparison::regressed() const {
  for (const auto& f : figures) {
    if (f.regression) {
      return true;
    }
  }
  return false;
}

comparison compare_reports(std::string_view baseline_json, std::string_view current_json,
                           double threshold, double min_latency_ms) {
  comparison out;
  simdjson::dom::parser baseline_parser;
  simdjson::dom::parser current_parser;
  simdjson::dom::element baseline;
  simdjson::dom::element current;
  if (baseline_parser.parse(baseline_json.data(), baseline_json.size()).get(baseline)
      != simdjson::SUCCESS) {
    out.error = "the baseline is not a JSON report";
    return out;
  }
  if (current_parser.parse(current_json.data(), current_json.size()).get(current)
      != simdjson::SUCCESS) {
    out.error = "this run's report is not JSON";
    return out;
  }
  std::string_view baseline_mode;
  std::string_view current_mode;
  if (baseline["mode"].get(baseline_mode) != simdjson::SUCCESS
      || current["mode"].get(current_mode) != simdjson::SUCCESS) {
    out.error = "a report without `mode`: not written by blendroute-load --json";
    return out;
  }
  if (baseline_mode != current_mode) {
    out.error = "the baseline is a " + std::string(baseline_mode) + " run, this one "
                + std::string(current_mode);
    return out;
  }

  const auto base_rate = number_at(baseline, "events_per_second");
  const auto rate = number_at(current, "events_per_second");
  if (base_rate && rate) {
    figure_change f{"events/s", *base_rate, *rate, true, false};
    f.regression = *base_rate > 0 && *rate < *base_rate * (1.0 - threshold);
    out.figures.push_back(f);
  }
  simdjson::dom::object base_latency;
  simdjson::dom::object latency;
  if (baseline["latency"].get(base_latency) != simdjson::SUCCESS
      || current["latency"].get(latency) != simdjson::SUCCESS) {
    return out;
  }
  for (auto [name, histogram] : latency) {
    simdjson::dom::element base_histogram;
    if (base_latency[name].get(base_histogram) != simdjson::SUCCESS) {
      continue;
    }
    const auto base_count = number_at(base_histogram, "count");
    const auto count = number_at(histogram, "count");
    if (!base_count || !count || *base_count == 0 || *count == 0) {
      continue;  // Nothing measured on one side: no figure to compare.
    }
    constexpr std::pair<const char*, const char*> percentiles[] = {
        {"p50_ms", "p50"}, {"p99_ms", "p99"}, {"p999_ms", "p99.9"}};
    for (const auto& [key, shown] : percentiles) {
      const auto before = number_at(base_histogram, key);
      const auto now = number_at(histogram, key);
      if (!before || !now) {
        continue;
      }
      figure_change f{std::string(name) + " " + shown + " (ms)", *before, *now, false, false};
      f.regression = *now > *before * (1.0 + threshold) && *now - *before > min_latency_ms;
      out.figures.push_back(f);
    }
  }
  return out;
}

void print_comparison(std::ostream& out, const comparison& result, const std::string& baseline_path,
                      double threshold) {
  out << "\ncompared with " << baseline_path << " (regression beyond "
      << std::round(threshold * 1000) / 10 << " %)\n";
  if (!result.error.empty()) {
    out << "  not comparable: " << result.error << "\n";
    return;
  }
  for (const auto& f : result.figures) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-28s %12.3f -> %12.3f  %+7.1f %%%s\n", f.figure.c_str(),
                  f.baseline, f.current, f.change() * 100, f.regression ? "  REGRESSION" : "");
    out << line;
  }
  out << "  result                       "
      << (result.regressed() ? "regressed" : "no regression beyond the threshold") << "\n";
}

std::optional<double> parse_threshold(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '%')) {
    const bool percent = text.back() == '%';
    text.remove_suffix(1);
    if (percent) {
      const std::string number(text);
      char* end = nullptr;
      const double value = std::strtod(number.c_str(), &end);
      if (end == number.c_str() || *end != '\0' || value < 0) {
        return std::nullopt;
      }
      return value / 100.0;
    }
  }
  const std::string number(text);
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == number.c_str() || *end != '\0' || value < 0) {
    return std::nullopt;
  }
  return value;
}

int finish_report(const std::string& json, int exit_code, const std::string& json_path,
                  const std::string& compare_path, double threshold, const char* component,
                  std::ostream& out, std::ostream& log) {
  if (!json_path.empty() && !write_report_file(json_path, json, component, log)) {
    exit_code = 1;
  }
  if (compare_path.empty()) {
    return exit_code;
  }
  bool readable = false;
  const std::string baseline = read_file(compare_path, readable);
  if (!readable) {
    log << "error " << component << " cannot read the baseline " << compare_path << std::endl;
    return 1;
  }
  const comparison result = compare_reports(baseline, json, threshold);
  print_comparison(out, result, compare_path, threshold);
  out.flush();
  if (!result.error.empty()) {
    return 1;
  }
  return result.regressed() ? 3 : exit_code;
}

}  // namespace blendroute::load
