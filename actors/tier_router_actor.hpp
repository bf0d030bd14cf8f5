// The actor that opens and supervises the conversations of one tier.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;

/// Spawns the router of `tier`. It supervises the conversation actors of its tier: each new
/// one is handed to it (`supervise_atom`) and monitored; a failure is logged and counted,
/// and the conversation leaves the directory. `ctx` must outlive the actor.
caf::actor spawn_tier_router_actor(caf::actor_system& system, router_context* ctx,
                                   const std::string& tier);

}  // namespace blendroute::actors
