#pragma once
// `blendroute-load replay`: plays recorded conversations against a running router.

#include <ostream>

#include "bench/load/options.hpp"

namespace blendroute::load {

/// Replays the conversations of `options.file` against the router and reports the outcome.
///
/// Connects one supervisor, `options.agents` agents and `options.gateways` gateways, waits for
/// every welcome and agent status ack, then sends each conversation's customer turns at their
/// recorded times divided by `options.speed`, while the agents accept offers and answer with
/// the recorded agent turns. Runs until every conversation is resolved, abandoned or closed, or
/// until `options.common.timeout`. Prints the report to `out` (and to the JSON file if set),
/// and warnings, errors and progress to `log`. Blocks the calling thread for the whole run.
///
/// Returns the process exit code: 0 when every conversation finished and no ack was
/// rejected, 1 otherwise (the report says why).
int run_replay(const replay_options& options, std::ostream& out, std::ostream& log);

}  // namespace blendroute::load
