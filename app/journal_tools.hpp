// The offline journal tools: `blendroute journal inspect` and `blendroute journal verify`.
// They open the journal themselves, so the server must not be running on it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace blendroute::app {

/// Prints the journaled history of each of `convs`, a record a line; with more than one,
/// each line starts with the conversation id and a tab. Returns the process exit code: 0,
/// 1 when the journal holds nothing for one of them, 3 when the journal cannot be read.
int inspect_conversations(const config& cfg, const std::vector<std::string>& convs);

/// What `journal verify` checks besides the journal's own consistency.
struct verify_options {
  /// Unix ms; 0 for none. A conversation's timer due before it that never fired (no breach
  /// journaled) means a deadline was missed while the server ran.
  std::int64_t timers_fired_by_ms = 0;
};

/// Checks that the journal explains itself: every record reads, every conversation's inputs
/// apply in order to the state machine, no agent holds more open conversations than its
/// last announced capacity, no ingress id was applied twice within the retention, and (with
/// `options.timers_fired_by_ms`) no timer is overdue. Prints each problem and a summary.
/// Returns 0 when there is none, 1 when there are problems, 3 when the journal cannot be
/// read.
int verify_journal(const config& cfg, const verify_options& options = {});

}  // namespace blendroute::app
