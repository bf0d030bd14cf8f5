#pragma once
// The measured outcome of a closed-loop run, printed for people and written as JSON.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/latency_histogram.hpp"

namespace blendroute::load {

/// Everything a `closed` run measured. Plain data: filled by the run, read by the printers.
/// Only acks that arrived inside the measured window (after the warm-up) are counted in
/// `acks_by_status`, `ingress_ack` and the throughput.
struct closed_report {
  std::string run_id;
  std::size_t conversations = 0;
  std::size_t connections = 0;
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

  /// Whether every connection came up and the clock started.
  bool started = false;
  bool timed_out = false;
  /// Why the run failed, one line each; empty on success.
  std::vector<std::string> failures;

  /// Acks of the measured window.
  std::uint64_t measured_acks() const;

  /// Acks per second of the measured window.
  double events_per_second() const;
};

/// Prints the report for people.
void print_closed_report(std::ostream& out, const closed_report& report);

/// Returns the report as one JSON object (with a trailing newline).
std::string closed_report_json(const closed_report& report);

}  // namespace blendroute::load
