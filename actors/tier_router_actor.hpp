// The actor that opens and supervises the conversations of one tier.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;

/// Spawns the router of `tier`. It spawns one conversation actor per new conversation,
/// registers it in the directory and monitors it. `ctx` must outlive the actor.
caf::actor spawn_tier_router_actor(caf::actor_system& system, router_context* ctx,
                                   const std::string& tier);

}  // namespace blendroute::actors
