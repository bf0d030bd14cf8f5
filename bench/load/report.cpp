// The measured outcome of a replay, printed for people and written as JSON.

#include "bench/load/report.hpp"

#include <algorithm>
#include <cstdio>

#include "bench/load/duration.hpp"
#include "bench/load/json_writer.hpp"
#include "bench/load/report_format.hpp"

namespace blendroute::load {

namespace {

std::string percent(double fraction) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f %%", fraction * 100.0);
  return text;
}

std::string share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "n/a" : percent(static_cast<double>(part) / static_cast<double>(whole));
}

std::string trim_right(std::string text) {
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

// Tiers in a stable, readable order: the two standard ones first, then the rest by name.
std::vector<std::string> tier_order(const replay_report& report) {
  std::vector<std::string> tiers;
  for (const char* known : {"standard", "priority"}) {
    if (report.sla.count(known) != 0) {
      tiers.emplace_back(known);
    }
  }
  for (const auto& [tier, cells] : report.sla) {
    if (std::find(tiers.begin(), tiers.end(), tier) == tiers.end()) {
      tiers.push_back(tier);
    }
  }
  return tiers;
}

void print_sla_table(std::ostream& out, const replay_report& report) {
  const auto tiers = tier_order(report);
  std::size_t tier_width = 8;
  for (const auto& tier : tiers) {
    tier_width = std::max(tier_width, tier.size());
  }
  tier_width += 2;

  std::string line = label("SLA attainment") + pad("tier", tier_width);
  for (const char* sla : sla_names) {
    line += pad(sla, std::string(sla).size() + 2);
  }
  out << trim_right(line) << "\n";
  for (const auto& tier : tiers) {
    line = "  " + std::string(report_label_width, ' ') + pad(tier, tier_width);
    const auto& cells = report.sla.at(tier);
    for (const char* sla : sla_names) {
      const auto cell = cells.find(sla);
      const double value = cell == cells.end() ? -1 : cell->second.attainment();
      line += pad(value < 0 ? "n/a" : percent(value), std::string(sla).size() + 2);
    }
    out << trim_right(line) << "\n";
  }
  if (tiers.empty()) {
    out << "  " << std::string(report_label_width, ' ') << "(no tier seen)\n";
  }

  std::string breaches;
  for (const auto& tier : tiers) {
    for (const auto& [sla, cell] : report.sla.at(tier)) {
      if (cell.breach_frames == 0) {
        continue;
      }
      breaches += (breaches.empty() ? "" : ", ") + tier + " " + sla + " "
                  + with_commas(cell.breaches) + "/" + with_commas(cell.opportunities);
      if (cell.breach_frames != cell.breaches) {
        breaches += " (" + with_commas(cell.breach_frames) + " frames)";
      }
    }
  }
  out << label("SLA breaches") << (breaches.empty() ? "none" : breaches) << "\n";
}

}  // namespace

double sla_cell::attainment() const {
  if (opportunities == 0) {
    return -1;
  }
  const double missed = static_cast<double>(breaches) / static_cast<double>(opportunities);
  return std::clamp(1.0 - missed, 0.0, 1.0);
}

std::uint64_t replay_report::acks() const {
  std::uint64_t total = unmatched_acks;
  for (const auto& [status, count] : acks_by_status) {
    total += count;
  }
  return total;
}

double replay_report::events_per_second() const {
  return wall_seconds > 0 ? static_cast<double>(acks()) / wall_seconds : 0;
}

void write_sla_table(json_writer& json,
                     const std::map<std::string, std::map<std::string, sla_cell>>& sla) {
  json.begin_object();
  for (const auto& [tier, cells] : sla) {
    json.key(tier).begin_object();
    for (const auto& [name, cell] : cells) {
      json.key(name)
          .begin_object()
          .key("opportunities")
          .unsigned_integer(cell.opportunities)
          .key("breaches")
          .unsigned_integer(cell.breaches)
          .key("breach_frames")
          .unsigned_integer(cell.breach_frames)
          .key("attainment");
      if (cell.opportunities == 0) {
        json.null();
      } else {
        json.number(cell.attainment());
      }
      json.end_object();
    }
    json.end_object();
  }
  json.end_object();
}

void print_report(std::ostream& out, const replay_report& report) {
  const auto finished = report.resolved + report.abandoned + report.closed;
  char speed[32];
  std::snprintf(speed, sizeof speed, "%g", report.speed);

  out << "blendroute-load replay: " << with_commas(report.conversations) << " conversations, "
      << with_commas(report.messages_sent) << " of " << with_commas(report.messages_total)
      << " customer messages sent from " << report.file << " at speed " << speed << "\n";
  // A run that never started has nothing to measure; say why and stop.
  if (!report.started) {
    out << label("result") << "FAILED before the start\n";
    for (const auto& failure : report.failures) {
      out << "  " << std::string(report_label_width, ' ') << "- " << failure << "\n";
    }
    return;
  }
  out << label("contained by the bot") << with_commas(report.contained) << " ("
      << share(report.contained, report.conversations) << ")\n";
  out << label("escalated to humans") << with_commas(report.escalated) << " ("
      << share(report.escalated, report.conversations) << ")\n";
  out << label("resolved") << with_commas(report.resolved) << "   abandoned "
      << with_commas(report.abandoned) << "   closed " << with_commas(report.closed)
      << "   unfinished " << with_commas(report.unfinished) << "\n";
  if (report.walked_away_from_bot > 0) {
    out << label("") << with_commas(report.walked_away_from_bot)
        << " of the abandoned left the bot unresolved after their last message\n";
  }
  print_sla_table(out, report);
  out << label("ingress->ack") << percentiles(report.ingress_ack) << "\n";
  out << label("message->bot reply") << percentiles(report.bot_reply) << "\n";
  out << label("escalation->offer") << percentiles(report.escalation_offer) << "\n";
  out << label("customer.deliver") << list_counts(report.replies_by_from, "none");
  if (report.redeliveries > 0) {
    out << "  (repeated deliveries " << with_commas(report.redeliveries) << ")";
  }
  out << "\n";

  auto statuses = report.acks_by_status;
  for (const char* status : {"ok", "duplicate", "rejected"}) {
    statuses.emplace(status, 0);
  }
  out << label("acks") << "ok " << with_commas(statuses["ok"]) << "  duplicate "
      << with_commas(statuses["duplicate"]) << "  rejected " << with_commas(statuses["rejected"]);
  if (!report.rejected_by_code.empty()) {
    out << " (" << list_counts(report.rejected_by_code, "") << ")";
  }
  for (const auto& [status, count] : statuses) {
    if (status != "ok" && status != "duplicate" && status != "rejected") {
      out << "  " << status << " " << with_commas(count);
    }
  }
  if (report.unmatched_acks + report.out_of_order_acks + report.unanswered > 0) {
    out << "  unmatched " << with_commas(report.unmatched_acks) << "  out of order "
        << with_commas(report.out_of_order_acks) << "  unanswered "
        << with_commas(report.unanswered);
  }
  out << "\n";

  char throughput[64];
  std::snprintf(throughput, sizeof throughput, "%.1f events/s over %.1f s",
                report.events_per_second(), report.wall_seconds);
  out << label("throughput") << throughput << "\n";
  if (report.ran_late > 0) {
    char lag[128];
    std::snprintf(lag, sizeof lag, "%s of %s scheduled sends ran over 2 ms late, worst %.1f ms",
                  with_commas(report.ran_late).c_str(), with_commas(report.scheduled).c_str(),
                  report.worst_lag_ms);
    out << label("tool behind") << lag << "\n";
  }
  if (!report.unknown_frames.empty() || report.bad_frames + report.foreign_frames > 0) {
    out << label("other frames") << "unknown types: " << list_counts(report.unknown_frames, "none")
        << "  undecodable " << with_commas(report.bad_frames) << "  other conversations "
        << with_commas(report.foreign_frames) << "\n";
  }
  if (report.unfinished > 0) {
    out << label("unfinished") << list_counts(report.unfinished_by_state, "") << "  e.g.";
    for (const auto& id : report.unfinished_examples) {
      out << " " << id;
    }
    out << "\n";
  }
  print_server_check(out, report.check);
  if (report.failures.empty()) {
    out << label("result") << "ok: " << with_commas(finished) << " conversations finished\n";
  } else {
    out << label("result") << "FAILED\n";
    for (const auto& failure : report.failures) {
      out << "  " << std::string(report_label_width, ' ') << "- " << failure << "\n";
    }
  }
}

std::string report_json(const replay_report& report) {
  json_writer json;
  json.begin_object()
      .key("mode")
      .string("replay")
      .key("file")
      .string(report.file)
      .key("run_id")
      .string(report.run_id)
      .key("speed")
      .number(report.speed)
      .key("ok")
      .boolean(report.failures.empty())
      .key("started")
      .boolean(report.started)
      .key("failures")
      .begin_array();
  for (const auto& failure : report.failures) {
    json.string(failure);
  }
  json.end_array();

  json.key("conversations")
      .begin_object()
      .key("total")
      .unsigned_integer(report.conversations)
      .key("contained")
      .unsigned_integer(report.contained)
      .key("escalated")
      .unsigned_integer(report.escalated)
      .key("resolved")
      .unsigned_integer(report.resolved)
      .key("abandoned")
      .unsigned_integer(report.abandoned)
      .key("closed")
      .unsigned_integer(report.closed)
      .key("unfinished")
      .unsigned_integer(report.unfinished)
      .key("unfinished_by_state");
  write_counts(json, report.unfinished_by_state);
  json.key("unfinished_examples").begin_array();
  for (const auto& id : report.unfinished_examples) {
    json.string(id);
  }
  json.end_array().end_object();

  json.key("sent")
      .begin_object()
      .key("customer_messages")
      .unsigned_integer(report.messages_sent)
      .key("customer_messages_in_data")
      .unsigned_integer(report.messages_total)
      .key("customer_left")
      .unsigned_integer(report.customer_left_sent)
      .key("walked_away_from_bot")
      .unsigned_integer(report.walked_away_from_bot)
      .key("agent_accepts")
      .unsigned_integer(report.agent_accepts_sent)
      .key("agent_replies")
      .unsigned_integer(report.agent_replies_sent)
      .key("agent_resolves")
      .unsigned_integer(report.agent_resolves_sent)
      .end_object();

  json.key("sla");
  write_sla_table(json, report.sla);

  json.key("latency").begin_object().key("ingress_ack");
  write_histogram(json, report.ingress_ack);
  json.key("message_bot_reply");
  write_histogram(json, report.bot_reply);
  json.key("escalation_offer");
  write_histogram(json, report.escalation_offer);
  json.end_object();

  json.key("acks").begin_object().key("by_status");
  write_counts(json, report.acks_by_status);
  json.key("rejected_by_code");
  write_counts(json, report.rejected_by_code);
  json.key("rejected_by_type");
  write_counts(json, report.rejected_by_type);
  json.key("unmatched")
      .unsigned_integer(report.unmatched_acks)
      .key("out_of_order")
      .unsigned_integer(report.out_of_order_acks)
      .key("unanswered")
      .unsigned_integer(report.unanswered)
      .end_object();

  json.key("customer_deliver_by_from");
  write_counts(json, report.replies_by_from);
  json.key("redeliveries").unsigned_integer(report.redeliveries);
  json.key("unknown_frames");
  write_counts(json, report.unknown_frames);
  json.key("foreign_frames")
      .unsigned_integer(report.foreign_frames)
      .key("bad_frames")
      .unsigned_integer(report.bad_frames)
      .key("timed_out")
      .boolean(report.timed_out)
      .key("scheduled")
      .unsigned_integer(report.scheduled)
      .key("ran_late")
      .unsigned_integer(report.ran_late)
      .key("worst_lag_ms")
      .number(report.worst_lag_ms)
      .key("server_check");
  write_server_check(json, report.check);
  json.key("wall_seconds")
      .number(report.wall_seconds)
      .key("events_per_second")
      .number(report.events_per_second())
      .end_object();
  return json.str() + "\n";
}

}  // namespace blendroute::load
