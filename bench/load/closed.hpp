#pragma once
// `blendroute-load closed`: a fixed number of conversations, each sending its next customer
// message as soon as the previous one is acked.

#include <ostream>

#include "bench/load/options.hpp"

namespace blendroute::load {

/// Runs a closed-loop load against the router and reports throughput and ingress→ack latency.
///
/// Connects `options.connections` gateways and, once all are welcomed, lets each of
/// `options.conversations` simulated conversations send `customer.message` events one at a
/// time, the next as soon as the previous one's ack arrives, so at most that many are in
/// flight. Acks of the first `options.warmup` are not counted; sending stops after
/// `options.duration` more, and the acks still in flight get a short drain. Egress frames
/// other than acks are counted and otherwise ignored (deliveries are not acked). Prints the
/// report to `out` (and to the JSON file if set), warnings and lifecycle lines to `log`.
/// Blocks the calling thread for the whole run, at most `options.common.timeout`.
///
/// Returns the process exit code: 0 when the run completed without rejected or unanswered
/// acks, 1 otherwise (the report says why).
int run_closed(const closed_options& options, std::ostream& out, std::ostream& log);

}  // namespace blendroute::load
