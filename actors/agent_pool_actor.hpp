// The actor that owns the agents and queues and decides every offer.
#pragma once

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;

/// Spawns the agent pool. It applies `agent.status` after journaling it, and after every
/// change offers what can be offered, through the conversation actors (which journal the
/// offer before sending it). `ctx` must outlive the actor.
caf::actor spawn_agent_pool_actor(caf::actor_system& system, router_context* ctx);

}  // namespace blendroute::actors
