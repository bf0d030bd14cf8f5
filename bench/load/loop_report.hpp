#pragma once
// The measured outcome of a closed- or open-loop run, printed for people and written as JSON.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load/report.hpp"
#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// The measured window of a run on the steady clock: it opens after the warm-up and closes
/// when the run stops sending (the drain follows).
///
/// A message sent inside it is measured whenever its answer comes, the drain included, or
/// the slowest answers would drop out of the latencies; an ack counts towards the throughput
/// when it arrives inside it.
class measured_window {
public:
  using clock = std::chrono::steady_clock;

  /// Where a moment falls: before the window, in it, or after it.
  enum class phase { warmup, window, drain };

  void open(clock::time_point at) {
    start_ = at;
    opened_ = true;
  }

  /// Closes the window at `at`; does nothing unless it is open.
  void close(clock::time_point at) {
    if (is_open()) {
      end_ = at;
      closed_ = true;
    }
  }

  bool is_open() const { return opened_ && !closed_; }

  bool is_closed() const { return closed_; }

  clock::time_point start() const { return start_; }

  /// Where `at` falls. Precondition: `at` is not later than now (the window may still close).
  phase phase_of(clock::time_point at) const {
    if (!opened_ || at < start_) {
      return phase::warmup;
    }
    return closed_ && at >= end_ ? phase::drain : phase::window;
  }

  /// Whether a message sent (open loop: due) at `sent` is measured.
  bool holds(clock::time_point sent) const { return phase_of(sent) == phase::window; }

private:
  clock::time_point start_;
  clock::time_point end_;
  bool opened_ = false;
  bool closed_ = false;
};

/// Everything a `closed` or `open` run measured. Plain data: filled by the run, read by the
/// printers. `ingress_ack`, like every latency, counts the customer messages sent in the
/// measured window, whenever their acks come; `acks_by_status` and the throughput count the
/// acks that arrive in the window.
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
  /// Ingress→ack latency of the messages sent in the measured window: frame written (open
  /// loop: its arrival time) to ack read.
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

  /// Acks of the measured window per whole second of it: [0] the first second. While the
  /// window runs it may end with the second under way; `close_window()` cuts that off.
  std::vector<std::uint64_t> acks_per_second;

  /// Counts the ack of a customer message that arrived at `arrived`, `latency` after the
  /// message was sent (open loop: due): its latency when it was sent in `window`, its status
  /// and second when it arrived there, else the warm-up or drain count.
  void count_customer_ack(const measured_window& window, measured_window::clock::time_point arrived,
                          std::chrono::nanoseconds latency, std::string_view status);

  /// Counts an ack of the measured window, `since_start` after the window began.
  void count_ack_at(std::chrono::steady_clock::duration since_start) {
    const auto second = static_cast<std::size_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(since_start).count()));
    if (second >= acks_per_second.size()) {
      acks_per_second.resize(second + 1, 0);
    }
    ++acks_per_second[second];
  }

  /// Records that the window ran for `length`: `measured_seconds`, and `acks_per_second`
  /// holding exactly its whole seconds (a second without acks counts 0, the partial last
  /// second is left out).
  void close_window(std::chrono::nanoseconds length);

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
