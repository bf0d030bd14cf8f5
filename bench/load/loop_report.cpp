// The measured outcome of a closed- or open-loop run, printed for people and written as JSON.

#include "bench/load/loop_report.hpp"

#include <algorithm>
#include <cstdio>

#include "bench/load/json_writer.hpp"
#include "bench/load/report_format.hpp"

namespace blendroute::load {

namespace {

// "50 ms", "0.5 ms", "1.5 s", "0 s": a think time of `--think 50ms` must not read as 0.1 s.
std::string think_time(double seconds) {
  char text[32];
  if (seconds > 0 && seconds < 1) {
    std::snprintf(text, sizeof text, "%g ms", seconds * 1e3);
  } else {
    std::snprintf(text, sizeof text, "%g s", seconds);
  }
  return text;
}

}  // namespace

std::uint64_t loop_report::measured_acks() const {
  std::uint64_t total = 0;
  for (const auto& [status, count] : acks_by_status) {
    total += count;
  }
  return total;
}

void loop_report::count_customer_ack(const measured_window& window,
                                     measured_window::clock::time_point arrived,
                                     std::chrono::nanoseconds latency, std::string_view status) {
  if (window.holds(arrived - latency)) {
    ingress_ack.record(latency);
  }
  switch (window.phase_of(arrived)) {
    case measured_window::phase::window:
      ++acks_by_status[status.empty() ? "missing" : std::string(status)];
      count_ack_at(arrived - window.start());
      break;
    case measured_window::phase::warmup:
      ++warmup_acks;
      break;
    case measured_window::phase::drain:
      ++drain_acks;
      break;
  }
}

void loop_report::close_window(std::chrono::nanoseconds length) {
  measured_seconds = std::chrono::duration<double>(length).count();
  const auto whole = std::chrono::duration_cast<std::chrono::seconds>(length).count();
  acks_per_second.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, whole)), 0);
}

double loop_report::events_per_second() const {
  return measured_seconds > 0 ? static_cast<double>(measured_acks()) / measured_seconds : 0;
}

void print_loop_report(std::ostream& out, const loop_report& report) {
  std::string connections = with_commas(report.connections) + " gateway connections";
  if (report.transport == "http") {
    connections = with_commas(report.connections) + " HTTP connections ("
                  + (report.http_batch == 1
                         ? std::string("one event a request")
                         : "at most " + with_commas(report.http_batch) + " events a request")
                  + ")";
  }
  char window[96];
  std::snprintf(window, sizeof window, "%.1f s after a %.1f s warm-up", report.duration_seconds,
                report.warmup_seconds);
  if (report.mode == "open") {
    char rate[96];
    std::snprintf(rate, sizeof rate, "%.0f messages/s (Poisson)", report.rate);
    out << "blendroute-load open: " << rate << " over " << with_commas(report.conversations)
        << " conversation slots and " << connections << ", " << window << ", run " << report.run_id
        << "\n";
  } else {
    out << "blendroute-load closed: " << with_commas(report.conversations)
        << " conversations in a closed loop over " << connections << ", " << window << ", run "
        << report.run_id << "\n";
  }
  if (!report.started) {
    out << label("result") << "FAILED before the start\n";
    for (const auto& failure : report.failures) {
      out << "  " << std::string(report_label_width, ' ') << "- " << failure << "\n";
    }
    return;
  }

  char throughput[64];
  std::snprintf(throughput, sizeof throughput, "%.1f events/s over %.2f s",
                report.events_per_second(), report.measured_seconds);
  out << label("throughput") << throughput << "\n";
  if (!report.acks_per_second.empty()) {
    // Whole seconds only (`close_window`): they say whether the rate held.
    std::vector<std::uint64_t> whole = report.acks_per_second;
    std::sort(whole.begin(), whole.end());
    out << label("per second") << "min " << with_commas(whole.front()) << "  median "
        << with_commas(whole[whole.size() / 2]) << "  max " << with_commas(whole.back()) << "  ("
        << whole.size() << " whole seconds)\n";
  }
  out << label("ingress->ack") << percentiles(report.ingress_ack) << "\n";
  if (report.message_to_bot_request.count() > 0) {
    out << label("message->bot.request") << percentiles(report.message_to_bot_request) << "\n";
  }
  if (report.message_to_offer.count() > 0 || report.offers_missing > 0) {
    out << label("message->offer") << percentiles(report.message_to_offer) << "\n";
  }
  if (report.offers_missing > 0) {
    out << label("no offer") << with_commas(report.offers_missing)
        << " escalations of the window were never offered before the end (not in the figures "
           "above: agents too few or too slow)\n";
  }
  if (report.reply.count() > 0) {
    out << label("reply to customer") << percentiles(report.reply) << "\n";
  }
  if (report.sent_late > 0) {
    char lag[96];
    std::snprintf(lag, sizeof lag, "%s messages sent over 2 ms late, worst %.1f ms behind",
                  with_commas(report.sent_late).c_str(),
                  std::chrono::duration<double, std::milli>(report.worst_send_lag).count());
    out << label("tool behind") << lag << "\n";
  }

  char scenario[160];
  std::snprintf(scenario, sizeof scenario,
                "%.0f %% ask for a human; %zu agents of capacity %zu, think %s; %s",
                report.escalate_share * 100, report.agents, report.capacity,
                think_time(report.think_seconds).c_str(),
                report.bots > 0 ? (std::to_string(report.bots) + " bots played by the tool").c_str()
                                : "the router's bot");
  out << label("scenario") << scenario << "\n";
  out << label("tiers") << report.tier_mix << "; message text " << report.message_bytes << "\n";
  for (const auto& [tier, counts] : report.outcomes) {
    out << label(("outcome " + tier).c_str()) << "finished " << with_commas(counts.finished)
        << "  contained " << with_commas(counts.contained) << "  escalated "
        << with_commas(counts.escalated) << "  resolved " << with_commas(counts.resolved)
        << "  abandoned " << with_commas(counts.abandoned) << "\n";
  }
  for (const auto& [tier, by_sla] : report.sla) {
    std::string line;
    for (const char* sla : sla_names) {
      const auto it = by_sla.find(sla);
      if (it == by_sla.end()) {
        continue;
      }
      const auto& cell = it->second;
      char text[96];
      if (cell.attainment() < 0) {
        std::snprintf(text, sizeof text, "%s %s breached", sla, with_commas(cell.breaches).c_str());
      } else {
        std::snprintf(text, sizeof text, "%s %.1f %% (%s of %s breached)", sla,
                      cell.attainment() * 100, with_commas(cell.breaches).c_str(),
                      with_commas(cell.opportunities).c_str());
      }
      line += (line.empty() ? "" : "  ") + std::string(text);
    }
    out << label(("sla " + tier).c_str()) << line << "\n";
  }
  if (report.stale_offers > 0) {
    out << label("stale offers") << with_commas(report.stale_offers)
        << " accepts came too late for their offer (rejected stale_offer, not a failure)\n";
  }
  if (report.still_queued > 0) {
    out << label("unfinished") << with_commas(report.still_queued)
        << " escalated conversations were not finished at the end\n";
  }
  if (!report.supervised) {
    out << label("outcomes, slas") << "not watched (--no-supervisor)\n";
  }

  auto statuses = report.acks_by_status;
  for (const char* status : {"ok", "duplicate", "rejected"}) {
    statuses.emplace(status, 0);
  }
  out << label("acks") << "ok " << with_commas(statuses["ok"]) << "  duplicate "
      << with_commas(statuses["duplicate"]) << "  rejected " << with_commas(statuses["rejected"]);
  for (const auto& [status, count] : statuses) {
    if (status != "ok" && status != "duplicate" && status != "rejected") {
      out << "  " << status << " " << with_commas(count);
    }
  }
  out << "  (not counted: warm-up " << with_commas(report.warmup_acks) << ", drain "
      << with_commas(report.drain_acks) << ")\n";
  out << label("errors") << "rejected " << list_counts(report.rejected_by_code, "none")
      << "  unmatched " << with_commas(report.unmatched_acks) << "  out of order "
      << with_commas(report.out_of_order_acks) << "  unanswered " << with_commas(report.unanswered)
      << "  undecodable " << with_commas(report.bad_frames) << "\n";
  out << label("sent") << with_commas(report.messages_sent) << " customer.message, "
      << with_commas(report.messages_per_conv) << " per conversation id";
  if (report.transport == "http") {
    out << ", in " << with_commas(report.http_requests) << " HTTP requests";
  }
  out << "\n";
  out << label("other frames") << list_counts(report.frames_by_type, "none") << "\n";
  print_server_check(out, report.check);
  if (report.failures.empty()) {
    out << label("result") << "ok\n";
  } else {
    out << label("result") << "FAILED\n";
    for (const auto& failure : report.failures) {
      out << "  " << std::string(report_label_width, ' ') << "- " << failure << "\n";
    }
  }
}

std::string loop_report_json(const loop_report& report) {
  json_writer json;
  json.begin_object()
      .key("mode")
      .string(report.mode)
      .key("run_id")
      .string(report.run_id)
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
      .unsigned_integer(report.conversations)
      .key("connections")
      .unsigned_integer(report.connections)
      .key("transport")
      .string(report.transport)
      .key("http_batch")
      .unsigned_integer(report.http_batch)
      .key("http_requests")
      .unsigned_integer(report.http_requests)
      .key("messages_per_conv")
      .unsigned_integer(report.messages_per_conv)
      .key("warmup_seconds")
      .number(report.warmup_seconds)
      .key("duration_seconds")
      .number(report.duration_seconds)
      .key("measured_seconds")
      .number(report.measured_seconds)
      .key("messages_sent")
      .unsigned_integer(report.messages_sent)
      .key("events_per_second")
      .number(report.events_per_second());

  json.key("scenario")
      .begin_object()
      .key("escalate_share")
      .number(report.escalate_share)
      .key("agents")
      .unsigned_integer(report.agents)
      .key("capacity")
      .unsigned_integer(report.capacity)
      .key("think_seconds")
      .number(report.think_seconds)
      .key("bots")
      .unsigned_integer(report.bots)
      .key("tier_mix")
      .string(report.tier_mix)
      .key("message_bytes")
      .string(report.message_bytes)
      .key("supervised")
      .boolean(report.supervised)
      .end_object();
  if (report.mode == "open") {
    json.key("rate")
        .number(report.rate)
        .key("sent_late")
        .unsigned_integer(report.sent_late)
        .key("worst_send_lag_ms")
        .number(std::chrono::duration<double, std::milli>(report.worst_send_lag).count());
  }
  json.key("acks_per_second").begin_array();
  for (const auto count : report.acks_per_second) {
    json.unsigned_integer(count);
  }
  json.end_array();
  json.key("latency").begin_object().key("ingress_ack");
  write_histogram(json, report.ingress_ack);
  for (const auto& [name, histogram] :
       {std::pair{"message_to_bot_request", &report.message_to_bot_request},
        std::pair{"message_to_offer", &report.message_to_offer},
        std::pair{"reply", &report.reply}}) {
    if (histogram->count() > 0) {
      json.key(name);
      write_histogram(json, *histogram);
    }
  }
  json.end_object();

  json.key("offers_missing")
      .unsigned_integer(report.offers_missing)
      .key("still_queued")
      .unsigned_integer(report.still_queued)
      .key("stale_offers")
      .unsigned_integer(report.stale_offers);
  json.key("outcomes").begin_object();
  for (const auto& [tier, counts] : report.outcomes) {
    json.key(tier)
        .begin_object()
        .key("finished")
        .unsigned_integer(counts.finished)
        .key("contained")
        .unsigned_integer(counts.contained)
        .key("escalated")
        .unsigned_integer(counts.escalated)
        .key("resolved")
        .unsigned_integer(counts.resolved)
        .key("abandoned")
        .unsigned_integer(counts.abandoned)
        .end_object();
  }
  json.end_object();
  json.key("sla");
  write_sla_table(json, report.sla);
  json.key("server_check");
  write_server_check(json, report.check);

  json.key("acks").begin_object().key("by_status");
  write_counts(json, report.acks_by_status);
  json.key("rejected_by_code");
  write_counts(json, report.rejected_by_code);
  json.key("warmup")
      .unsigned_integer(report.warmup_acks)
      .key("drain")
      .unsigned_integer(report.drain_acks)
      .key("unmatched")
      .unsigned_integer(report.unmatched_acks)
      .key("out_of_order")
      .unsigned_integer(report.out_of_order_acks)
      .key("unanswered")
      .unsigned_integer(report.unanswered)
      .end_object();

  json.key("frames_by_type");
  write_counts(json, report.frames_by_type);
  json.key("bad_frames")
      .unsigned_integer(report.bad_frames)
      .key("timed_out")
      .boolean(report.timed_out)
      .end_object();
  return json.str() + "\n";
}

}  // namespace blendroute::load
