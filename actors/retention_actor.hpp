// The actor that keeps the journal from growing: finished conversations and old ingress ids
// are deleted once their retention is over.
#pragma once

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;
class session_broker;

/// Spawns the retention actor. Every `journal.retention_sweep` it takes the archived
/// conversations (finished, resume window over, no actor) that finished more than
/// `journal.retention` ago out of the directory and the session broker, and has the journal
/// delete their history and every ingress id received before that. `ctx` and `broker` must
/// outlive the actor.
caf::actor spawn_retention_actor(caf::actor_system& system, router_context* ctx,
                                 session_broker* broker);

}  // namespace blendroute::actors
