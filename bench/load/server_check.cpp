// The server's account of a run (`/metrics`, `/v1/kpis`) against the tool's own tally.

#include "bench/load/server_check.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <simdjson.h>

#include "bench/load/endpoint.hpp"
#include "bench/load/report_format.hpp"
#include "net/http_get.hpp"

namespace blendroute::load {

namespace {

using steady = std::chrono::steady_clock;

// One GET on its own connection; returns the body of a 200, else sets `error`.
std::string get(const std::string& addr, const std::string& target, const std::string& token,
                steady::time_point deadline, std::string& error) {
  std::string host;
  std::string port_text;
  unsigned long port = 0;
  if (!split_addr(addr, host, port_text)
      || std::from_chars(port_text.data(), port_text.data() + port_text.size(), port).ec
             != std::errc()
      || port == 0 || port > 65535) {
    error = "--http-addr must be host:port, got '" + addr + "'";
    return {};
  }
  const auto left = std::max(deadline - steady::now(), steady::duration::zero());
  auto body = net::http_get(host, static_cast<std::uint16_t>(port), target, token,
                            std::chrono::duration_cast<duration>(left));
  if (!body) {
    error = body.err().message;
    return {};
  }
  return std::move(*body);
}

bool read_counts(simdjson::dom::element object, outcome_counts& out) {
  auto count = [&](const char* key, std::uint64_t& target) {
    return object[key].get(target) == simdjson::SUCCESS;
  };
  auto ratio = [&](const char* key, std::optional<double>& target) {
    double value = 0;
    if (object[key].get(value) == simdjson::SUCCESS) {
      target = value;
    }
  };
  ratio("containment", out.containment);
  ratio("escalation_rate", out.escalation_rate);
  return count("finished", out.finished) && count("contained", out.contained)
         && count("escalated", out.escalated) && count("resolved", out.resolved)
         && count("abandoned", out.abandoned);
}

// `/v1/kpis` into the snapshot; false when the body is not what docs/protocol.md describes.
bool read_kpis(const std::string& body, server_snapshot& snapshot) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) {
    return false;
  }
  double window = 0;
  double observed = 0;
  simdjson::dom::element overall;
  simdjson::dom::object tiers;
  if (root["window_s"].get(window) != simdjson::SUCCESS
      || root["observed_s"].get(observed) != simdjson::SUCCESS
      || root["overall"].get(overall) != simdjson::SUCCESS
      || root["tiers"].get(tiers) != simdjson::SUCCESS) {
    return false;
  }
  snapshot.kpi_window_s = window;
  snapshot.kpi_observed_s = observed;
  if (!read_counts(overall, snapshot.kpis["overall"])) {
    return false;
  }
  for (auto [tier, counts] : tiers) {
    if (!read_counts(counts, snapshot.kpis[std::string(tier)])) {
      return false;
    }
  }
  return true;
}

std::uint64_t sample_change(const server_snapshot& before, const server_snapshot& after,
                            const std::string& key) {
  const auto was = before.samples.find(key);
  const auto now = after.samples.find(key);
  const double from = was == before.samples.end() ? 0 : was->second;
  const double to = now == after.samples.end() ? 0 : now->second;
  return to > from ? static_cast<std::uint64_t>(std::llround(to - from)) : 0;
}

constexpr std::string_view breach_prefix = "blendroute_sla_breaches_total{tier=\"";

std::string breach_sample(const std::string& tier, const std::string& sla) {
  return std::string(breach_prefix) + tier + "\",sla=\"" + sla + "\"}";
}

/// Calls `visit(tier, sla, key)` for every breach counter of `snapshot`.
template <class Visit>
void for_each_breach_sample(const server_snapshot& snapshot, Visit&& visit) {
  for (const auto& [key, value] : snapshot.samples) {
    if (!key.starts_with(breach_prefix)) {
      continue;
    }
    const auto tier_end = key.find('"', breach_prefix.size());
    const auto sla_start = key.find("sla=\"", tier_end);
    if (tier_end == std::string::npos || sla_start == std::string::npos) {
      continue;
    }
    visit(key.substr(breach_prefix.size(), tier_end - breach_prefix.size()),
          key.substr(sla_start + 5, key.size() - sla_start - 7), key);
  }
}

}  // namespace

std::map<std::string, double> parse_prometheus_samples(const std::string& text) {
  std::map<std::string, double> samples;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    // Label values may hold spaces; the value is after the last one.
    const auto space = line.rfind(' ');
    if (space == std::string_view::npos) {
      continue;
    }
    const std::string value(line.substr(space + 1));
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) {
      continue;
    }
    samples[std::string(line.substr(0, space))] = number;
  }
  return samples;
}

server_snapshot fetch_server_snapshot(const std::string& http_addr,
                                      const std::string& supervisor_token,
                                      std::chrono::nanoseconds timeout) {
  server_snapshot snapshot;
  const auto deadline = steady::now() + timeout;
  const auto metrics = get(http_addr, "/metrics", "", deadline, snapshot.error);
  if (!snapshot.error.empty()) {
    return snapshot;
  }
  snapshot.samples = parse_prometheus_samples(metrics);
  const auto kpis = get(http_addr, "/v1/kpis", supervisor_token, deadline, snapshot.error);
  if (snapshot.error.empty() && !read_kpis(kpis, snapshot)) {
    snapshot.error = "GET /v1/kpis answered JSON without the documented counts";
  }
  return snapshot;
}

bool saw_counted_breaches(const server_snapshot& before, const server_snapshot& after,
                          const tool_tally& tool) {
  bool all_seen = true;
  for_each_breach_sample(
      after, [&](const std::string& tier, const std::string& sla, const std::string& key) {
        std::uint64_t seen = 0;
        if (const auto by_tier = tool.breaches.find(tier); by_tier != tool.breaches.end()) {
          if (const auto by_sla = by_tier->second.find(sla); by_sla != by_tier->second.end()) {
            seen = by_sla->second;
          }
        }
        all_seen = all_seen && seen >= sample_change(before, after, key);
      });
  return all_seen;
}

std::size_t server_check::disagreements() const {
  std::size_t count = 0;
  for (const auto& row : rows) {
    count += row.agrees() ? 0 : 1;
  }
  return count;
}

server_check cross_check(const server_snapshot& before, const server_snapshot& after,
                         double run_seconds, const tool_tally& tool) {
  server_check check;
  if (!before.error.empty() || !after.error.empty()) {
    check.unavailable = before.error.empty() ? after.error : before.error;
    return check;
  }

  check.rows.push_back(
      {"customer.message acked ok", tool.customer_messages_ok,
       sample_change(before, after,
                     R"(blendroute_ingress_events_total{type="customer.message",status="ok"})")});

  // Every tier either side knows of, so that a tier only one side saw still shows.
  std::map<std::string, outcome_counts> empty_tiers;
  for (const auto& [tier, counts] : tool.outcomes) {
    empty_tiers.emplace(tier, outcome_counts{});
  }
  for (const auto& [tier, counts] : after.kpis) {
    if (tier != "overall") {
      empty_tiers.emplace(tier, outcome_counts{});
    }
  }
  for (const auto& [tier, unused] : empty_tiers) {
    const auto was = before.kpis.contains(tier) ? before.kpis.at(tier) : outcome_counts{};
    const auto now = after.kpis.contains(tier) ? after.kpis.at(tier) : outcome_counts{};
    const auto seen = tool.outcomes.contains(tier) ? tool.outcomes.at(tier) : outcome_counts{};
    auto row = [&](const char* what, std::uint64_t outcome_counts::*field) {
      const auto change = now.*field >= was.*field ? now.*field - was.*field : 0;
      if (change > 0 || seen.*field > 0) {
        check.rows.push_back({tier + " " + what, seen.*field, change});
      }
    };
    row("finished", &outcome_counts::finished);
    row("escalated", &outcome_counts::escalated);
    row("contained", &outcome_counts::contained);
    row("resolved", &outcome_counts::resolved);
    row("abandoned", &outcome_counts::abandoned);
  }
  for (const auto& [tier, reported] : after.kpis) {
    if (!reported.containment) {
      continue;
    }
    char line[200];
    std::snprintf(line, sizeof line,
                  "%s: containment %.1f %%, escalation %.1f %% over the server's last %.0f s",
                  tier.c_str(), *reported.containment * 100,
                  reported.escalation_rate.value_or(0) * 100,
                  std::min(after.kpi_observed_s, after.kpi_window_s));
    std::string text = line;
    const auto seen = tool.outcomes.find(tier);
    if (seen != tool.outcomes.end() && seen->second.finished > 0) {
      std::snprintf(line, sizeof line, "; this run as the tool saw it: %.1f %%, %.1f %%",
                    100.0 * static_cast<double>(seen->second.contained)
                        / static_cast<double>(seen->second.finished),
                    100.0 * static_cast<double>(seen->second.escalated)
                        / static_cast<double>(seen->second.finished));
      text += line;
    }
    check.kpis.push_back(std::move(text));
  }
  if (before.kpi_observed_s + run_seconds > after.kpi_window_s) {
    char caveat[160];
    std::snprintf(caveat, sizeof caveat,
                  "the server's KPI window (%.0f s) slid during the run: its outcome counts may "
                  "have lost conversations of before it",
                  after.kpi_window_s);
    check.caveats.emplace_back(caveat);
  }

  for (const auto& [tier, by_sla] : tool.breaches) {
    for (const auto& [sla, count] : by_sla) {
      check.rows.push_back({tier + " " + sla + " breaches", count,
                            sample_change(before, after, breach_sample(tier, sla)), true});
    }
  }
  // Breaches the server counted in tiers or SLAs the tool saw none of.
  for_each_breach_sample(
      after, [&](const std::string& tier, const std::string& sla, const std::string& key) {
        const auto change = sample_change(before, after, key);
        const bool seen = tool.breaches.contains(tier) && tool.breaches.at(tier).contains(sla);
        if (change > 0 && !seen) {
          check.rows.push_back({tier + " " + sla + " breaches", 0, change, true});
        }
      });
  return check;
}

void print_server_check(std::ostream& out, const server_check& check) {
  if (!check.unavailable.empty()) {
    out << label("server check") << "not made: " << check.unavailable << "\n";
    return;
  }
  out << label("server check")
      << (check.disagreements() == 0 ? std::string("the server's counters agree with the tool")
                                     : std::to_string(check.disagreements()) + " figures differ")
      << " (tool / server, whole run)\n";
  for (const auto& row : check.rows) {
    out << "  " << std::string(report_label_width, ' ') << pad(row.figure, 34)
        << with_commas(row.tool) << " / " << with_commas(row.server)
        << (!row.agrees()           ? "  DIFFERS"
            : row.tool > row.server ? "  (" + with_commas(row.tool - row.server)
                                          + " more fired after the server was read)"
                                    : std::string())
        << "\n";
  }
  for (const auto& line : check.kpis) {
    out << "  " << std::string(report_label_width, ' ') << line << "\n";
  }
  for (const auto& caveat : check.caveats) {
    out << "  " << std::string(report_label_width, ' ') << "note: " << caveat << "\n";
  }
}

void write_server_check(json_writer& json, const server_check& check) {
  json.begin_object();
  if (!check.unavailable.empty()) {
    json.key("unavailable").string(check.unavailable).end_object();
    return;
  }
  json.key("agrees").boolean(check.disagreements() == 0).key("rows").begin_array();
  for (const auto& row : check.rows) {
    json.begin_object()
        .key("figure")
        .string(row.figure)
        .key("tool")
        .unsigned_integer(row.tool)
        .key("server")
        .unsigned_integer(row.server)
        .key("agrees")
        .boolean(row.agrees())
        .end_object();
  }
  json.end_array().key("kpis").begin_array();
  for (const auto& line : check.kpis) {
    json.string(line);
  }
  json.end_array().key("caveats").begin_array();
  for (const auto& caveat : check.caveats) {
    json.string(caveat);
  }
  json.end_array().end_object();
}

}  // namespace blendroute::load
