#pragma once
// The measured outcome of a closed- or open-loop run, printed for people and written as JSON.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "bench/load/report.hpp"
#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// Everything a `closed` or `open` run measured. Plain data: filled by the run, read by the
/// printers. Only acks that arrived inside the measured window (after the warm-up) are
/// counted in `acks_by_status`, `ingress_ack` and the throughput.
struct loop_report {
  /// `closed` or `open`.
  std::string mode = "closed";
  std::string run_id;
  std::size_t conversations = 0;
  std::size_t connections = 0;
  /// `tcp` or `http`; with `http`, `connections` are HTTP connections posting at most
  /// `http_batch` events a request, and `http_requests` were answered.
  std::string transport = "tcp";
  std::size_t http_batch = 0;
  std::uint64_t http_requests = 0;
  std::size_t messages_per_conv = 0;
  /// The configured warm-up and window, in seconds.
  double warmup_seconds = 0;
  double duration_seconds = 0;
  /// The window as it really ran, from its first to its last moment.
  double measured_seconds = 0;

  /// Every `customer.message` sent, warm-up and drain included.
  std::uint64_t messages_sent = 0;
  /// Acks of the measured window by status.
  std::map<std::string, std::uint64_t> acks_by_status;
  /// Rejections of the whole run by error code.
  std::map<std::string, std::uint64_t> rejected_by_code;
  /// Ingress→ack latency of the measured window: frame written to ack read.
  latency_histogram ingress_ack;
  /// Acks outside the window: during the warm-up, and after it ended (the drain).
  std::uint64_t warmup_acks = 0;
  std::uint64_t drain_acks = 0;
  /// Acks that matched no frame in flight, or that skipped an older frame.
  std::uint64_t unmatched_acks = 0;
  std::uint64_t out_of_order_acks = 0;
  /// Frames still waiting for their ack when the run ended.
  std::uint64_t unanswered = 0;
  /// Non-ack frames received by type (read and otherwise ignored; deliveries are not acked).
  std::map<std::string, std::uint64_t> frames_by_type;
  std::uint64_t bad_frames = 0;

  /// The scenario, as asked (see `scenario_options`).
  double escalate_share = 0;
  std::size_t agents = 0;
  std::size_t capacity = 0;
  double think_seconds = 0;
  std::size_t bots = 0;
  std::string tier_mix;
  std::string message_bytes;
  bool supervised = false;

  // Open loop only.
  /// The asked arrival rate, messages per second (Poisson arrivals).
  double rate = 0;
  /// Messages sent more than a scheduling tick after their arrival time (the tool could not
  /// keep the asked rate), and the worst such lag.
  std::uint64_t sent_late = 0;
  std::chrono::nanoseconds worst_send_lag{0};

  // Latencies of the measured window, each from the customer message's (scheduled) sending.
  /// Customer message that escalates → the `agent.offer` its agent receives.
  latency_histogram message_to_offer;
  /// Escalations of the window that had no offer yet when the run ended: the agents could
  /// not keep up, and `message_to_offer` leaves these waits out.
  std::uint64_t offers_missing = 0;
  /// Accepts the router answered `stale_offer`: the offer had expired or gone elsewhere.
  std::uint64_t stale_offers = 0;
  /// Conversations of the run the supervisor last saw queued or with an agent, unfinished.
  std::uint64_t still_queued = 0;
  /// Customer message → its `bot.request` at one of the tool's bots (`bots` > 0 only).
  latency_histogram message_to_bot_request;
  /// Customer message → the next `customer.deliver` from the bot or an agent: the reply time
  /// the customer sees. Measured from the oldest message still without a reply.
  latency_histogram reply;

  /// What the supervisor connection saw over the whole run, per tier: outcomes of the
  /// finished conversations, and SLA opportunities and breaches (as in `replay_report::sla`).
  std::map<std::string, outcome_counts> outcomes;
  std::map<std::string, std::map<std::string, sla_cell>> sla;

  /// The server's counters against the tool's (`--http-addr`).
  server_check check;

  /// Whether every connection came up and the clock started.
  bool started = false;
  bool timed_out = false;
  /// Why the run failed, one line each; empty on success.
  std::vector<std::string> failures;

  /// Acks of the measured window per second of it: [0] the first second.
  std::vector<std::uint64_t> acks_per_second;

  /// Counts an ack of the measured window, `since_start` after the window began.
  void count_ack_at(std::chrono::steady_clock::duration since_start) {
    const auto second = static_cast<std::size_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(since_start).count()));
    if (second >= acks_per_second.size()) {
      acks_per_second.resize(second + 1, 0);
    }
    ++acks_per_second[second];
  }

  /// Acks of the measured window.
  std::uint64_t measured_acks() const;

  /// Acks per second of the measured window.
  double events_per_second() const;
};

/// Prints the report for people.
void print_loop_report(std::ostream& out, const loop_report& report);

/// Returns the report as one JSON object (with a trailing newline).
std::string loop_report_json(const loop_report& report);

}  // namespace blendroute::load
