#pragma once
// The server's own account of a run, fetched over HTTP before and after it, and set beside
// what the tool itself saw: if the two disagree, one of them is wrong.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/load/json_writer.hpp"

namespace blendroute::load {

/// The most the HTTP requests of one snapshot may take, together.
inline constexpr std::chrono::seconds server_check_timeout{5};

/// The outcome counts of `GET /v1/kpis` for one tier (or `overall`).
struct outcome_counts {
  std::uint64_t finished = 0;
  std::uint64_t contained = 0;
  std::uint64_t escalated = 0;
  std::uint64_t resolved = 0;
  std::uint64_t abandoned = 0;
  /// The KPIs `/v1/kpis` reports over its window; unset when it has nothing to divide by
  /// (and in the tool's own counts).
  std::optional<double> containment;
  std::optional<double> escalation_rate;
};

/// What the server reported at one moment.
struct server_snapshot {
  /// Empty when both `/metrics` and `/v1/kpis` were read; else why not.
  std::string error;
  /// Every sample of `/metrics`, keyed by its name and labels as printed:
  /// `blendroute_sla_breaches_total{tier="standard",sla="bot_attempt"}`.
  std::map<std::string, double> samples;
  double kpi_window_s = 0;
  double kpi_observed_s = 0;
  /// `overall` and each tier of `/v1/kpis`.
  std::map<std::string, outcome_counts> kpis;
};

/// GETs `/metrics` and `/v1/kpis` (with `supervisor_token`) from `http_addr` (`host:port`),
/// blocking for at most `timeout` in all.
server_snapshot fetch_server_snapshot(const std::string& http_addr,
                                      const std::string& supervisor_token,
                                      std::chrono::nanoseconds timeout);

/// Parses Prometheus text: every sample line as `name{labels}` -> value.
std::map<std::string, double> parse_prometheus_samples(const std::string& text);

/// What the tool counted over its whole run (warm-up and drain included), to compare with the
/// server's counters over the same span.
struct tool_tally {
  /// `customer.message` frames acked `ok`.
  std::uint64_t customer_messages_ok = 0;
  /// Outcomes per tier, from the `conversation.state` frames a supervisor connection saw.
  std::map<std::string, outcome_counts> outcomes;
  /// Distinct `sla.breach` deadlines per tier and SLA.
  std::map<std::string, std::map<std::string, std::uint64_t>> breaches;
};

/// One figure both sides counted.
struct check_row {
  std::string figure;
  std::uint64_t tool = 0;
  std::uint64_t server = 0;
  /// Breaches fire on the server's clock, also after the server was read (conversations the
  /// run left open keep breaching): the tool agrees when it saw at least what the server
  /// had counted, and a breach counted but never delivered is what the row catches.
  bool at_least = false;

  bool agrees() const { return at_least ? tool >= server : tool == server; }
};

/// The comparison of a run: the server's change between the snapshots against the tool's
/// tally.
struct server_check {
  /// Set when there is nothing to compare (no `--http-addr`, a snapshot failed).
  std::string unavailable;
  /// Why some rows may honestly differ (the KPI window slid during the run).
  std::vector<std::string> caveats;
  std::vector<check_row> rows;
  /// The server's KPIs as it reports them over its window, beside the same ratios of this
  /// run as the tool counted them, one line a tier.
  std::vector<std::string> kpis;

  /// Rows whose sides differ.
  std::size_t disagreements() const;
};

/// Compares the server's change from `before` to `after` with `tool`. `run_seconds` is the
/// time between the snapshots: when the KPI window could have slid past counts of before the
/// run, the KPI rows get a caveat.
server_check cross_check(const server_snapshot& before, const server_snapshot& after,
                         double run_seconds, const tool_tally& tool);

/// Whether `tool` has seen every breach the server counted between `before` and `after`
/// (the breach frames of the last ones may still be on their way when the server is read).
bool saw_counted_breaches(const server_snapshot& before, const server_snapshot& after,
                          const tool_tally& tool);

/// Prints the comparison for people, one row a line.
void print_server_check(std::ostream& out, const server_check& check);

/// Writes the comparison as one JSON object.
void write_server_check(json_writer& json, const server_check& check);

}  // namespace blendroute::load
