#pragma once
// `--compare baseline.json`: a run's figures against a saved run's, with a verdict.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace blendroute::load {

/// One figure both runs have.
struct figure_change {
  std::string figure;  ///< "events/s", "ingress_ack p99 (ms)"…
  double baseline = 0;
  double current = 0;
  bool higher_is_better = false;
  bool regression = false;

  /// (current − baseline) / baseline; 0 when the baseline is 0.
  double change() const;
};

struct comparison {
  std::vector<figure_change> figures;
  std::string error;  ///< Set when the reports cannot be compared (unreadable, other mode).

  bool regressed() const;
};

/// Compares two JSON reports of blendroute-load (`--json`): throughput, and p50, p99 and
/// p99.9 of every latency both measured. A figure regresses when it is worse than the
/// baseline by more than `threshold` (0.10: 10 %); a latency also needs to be worse by more
/// than `min_latency_ms`, so that noise on sub-millisecond figures is not a regression.
comparison compare_reports(std::string_view baseline_json, std::string_view current_json,
                           double threshold, double min_latency_ms = 0.05);

/// Prints the figures with their change, the regressions marked, and the verdict.
void print_comparison(std::ostream& out, const comparison& result, const std::string& baseline_path,
                      double threshold);

/// Parses "10%", "10 %" or "0.1"; nullopt for anything else or a negative share.
std::optional<double> parse_threshold(std::string_view text);

/// What every mode does with its report once printed: writes it as JSON (`json_path`), and
/// with `compare_path` compares it with that saved run and prints the changes. Returns the
/// exit code: `exit_code` as the run left it, 1 when a file cannot be written or read, 3 on
/// a regression beyond `threshold`.
int finish_report(const std::string& json, int exit_code, const std::string& json_path,
                  const std::string& compare_path, double threshold, const char* component,
                  std::ostream& out, std::ostream& log);

}  // namespace blendroute::load
