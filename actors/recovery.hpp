// Recovery (DESIGN.md §6): conversations and agents rebuilt from the journal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "core/config.hpp"
#include "core/conversation_rebuild.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

namespace blendroute::actors {

struct router_context;
class session_broker;

/// Applies `payloads` (a conversation's journal, oldest first) again. An error names the
/// record that could not be read.
result<conversation_rebuild> rebuild_conversation(const std::string& conv,
                                                  const std::vector<std::string>& payloads,
                                                  const config& cfg);

/// Starts from `snapshot` (core/conversation_snapshot.hpp) and applies `payloads`, the
/// records after it. An error names what could not be read.
result<conversation_rebuild> rebuild_conversation_from_snapshot(
    const std::string& conv, std::string_view snapshot, const std::vector<std::string>& payloads,
    const config& cfg);

/// A conversation's state now, from its latest snapshot and the records after it (its whole
/// journal when it has no snapshot, or one that does not decode). Reads the journal on the
/// calling thread.
result<conversation_rebuild> rebuild_latest(router_context& ctx, const std::string& conv_id);

/// Rebuilds an archived (finished, actor let go) conversation from its journal into an actor
/// supervised by its tier router, for an event that reached it. nullopt, logged, when its
/// history cannot be read. Reads the journal on the calling thread.
std::optional<caf::actor> restore_archived_conversation(caf::actor_system& system,
                                                        router_context& ctx,
                                                        const std::string& conv_id);

/// What a start-up recovery found.
struct recovery_report {
  std::size_t restored = 0;    ///< Open, or finished inside their resume window.
  std::size_t finished = 0;    ///< Finished for longer than their resume window: left alone.
  std::size_t unreadable = 0;  ///< A record could not be read: logged, not restored.
  std::size_t queued = 0;      ///< Of the restored, waiting for an agent.
  std::size_t agents = 0;
  std::size_t records = 0;          ///< Read and applied: those after a snapshot, or all.
  std::size_t from_snapshots = 0;   ///< Conversations that started from a snapshot.
  std::size_t snapshots_saved = 0;  ///< New snapshots of conversations with a long tail.
  /// SLA deadlines that passed while the router was down: they fire as soon as they are
  /// armed again, before any supervisor can connect to see the breach.
  std::size_t overdue_deadlines = 0;
  duration took{0};
};

/// Restores every conversation of the journal that is still open (or may still be reopened)
/// into a conversation actor with its pending work re-established, the agents' last states
/// and what they hold into the agent pool, and the customers' conversations into the
/// session broker. Runs once, before the first event is submitted. Fails only when the
/// journal cannot be read at all.
result<recovery_report> recover(caf::actor_system& system, router_context& ctx,
                                session_broker& broker);

}  // namespace blendroute::actors
