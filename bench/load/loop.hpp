#pragma once
// `blendroute-load closed` and `blendroute-load open`: synthetic conversations against a
// running router, paced by its acks (closed) or by a Poisson arrival rate (open).

#include <ostream>

#include "bench/load/options.hpp"

namespace blendroute::load {

/// Runs a closed- or open-loop load against the router and reports throughput, latency,
/// outcomes and SLAs.
///
/// Connects `options.connections` gateways, plus the agents, bots and supervisor the scenario
/// asks for; once all are welcomed, the clock starts. Conversation slot i sends its messages
/// to conversation `<run>-<mode>-<i>-<round>`, moving to a fresh round after
/// `options.messages_per_conv` messages; a fresh conversation asks for a human with
/// probability `escalate_share` and names a tier drawn from the tier mix.
///
/// Closed: every slot sends its next message as soon as the last is acked. Open: messages
/// arrive at `options.rate` per second with exponentially distributed gaps, arrival k going
/// to slot k mod `options.conversations`; latencies run from each message's scheduled
/// arrival, not from when the tool got round to sending it, and a tool that falls behind the
/// schedule says so.
///
/// Agents accept every offer, and after `think` reply and resolve. The tool's own bots (with
/// `bots` > 0) hand off the conversations that ask for a human, resolve the others on their
/// last message and answer `continue` before. Gateways ack every delivery, as a real one
/// does. With `common.http_addr` the server's counters are read before and after and
/// compared with the tool's. Prints the report to `out` (and the JSON file if set), warnings
/// and progress to `log`. Blocks for the whole run, at most `options.common.timeout`.
///
/// Returns 0 when the run completed without rejected or unanswered acks (and, open, the tool
/// kept the asked rate), 1 otherwise (the report says why), 3 on a regression against
/// `--compare`.
int run_loop(const loop_options& options, std::ostream& out, std::ostream& log);

}  // namespace blendroute::load
