// The offline journal tools: `blendroute journal inspect` and `blendroute journal verify`.
// They open the journal themselves, so the server must not be running on it.
#pragma once

#include <string>

#include "core/config.hpp"

namespace blendroute::app {

/// Prints the journaled history of `conv`, a record a line. Returns the process exit code:
/// 0, 1 when the journal holds nothing for it, 3 when the journal cannot be read.
int inspect_conversation(const config& cfg, const std::string& conv);

/// Checks that the journal explains itself: every record reads, every conversation's inputs
/// apply in order to the state machine, and no agent holds more open conversations than
/// its last announced capacity. Prints each problem and a summary. Returns 0 when there is
/// none, 1 when there are problems, 3 when the journal cannot be read.
int verify_journal(const config& cfg);

}  // namespace blendroute::app
