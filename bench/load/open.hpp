#pragma once
// `blendroute-load open`: customer messages at a fixed mean rate (Poisson arrivals), whatever
// the router's answers, so that its latency is measured as customers would see it.

#include <ostream>

#include "bench/load/options.hpp"

namespace blendroute::load {

/// Runs an open-loop load against the router and reports throughput and latency.
///
/// Connects `options.connections` gateways and `options.agents` agents; once all are
/// welcomed, customer messages arrive at `options.rate` per second with exponentially
/// distributed gaps. Arrival k is the next message of conversation slot k mod
/// `options.conversations`; a slot moves to a fresh conversation after
/// `options.messages_per_conv` messages, and a fresh conversation asks for a human with
/// probability `options.escalate_share`. Agents accept every offer and resolve the
/// conversation as soon as it is assigned. Latencies run from each message's scheduled
/// arrival, not from when the tool got round to sending it; when the tool falls behind the
/// schedule it says so. Prints the report to `out` (and the JSON file if set), warnings and
/// progress to `log`. Blocks for the whole run, at most `options.common.timeout`.
///
/// Returns 0 when the run completed without rejected or unanswered acks and the tool kept
/// the asked rate, 1 otherwise (the report says why).
int run_open(const open_options& options, std::ostream& out, std::ostream& log);

}  // namespace blendroute::load
