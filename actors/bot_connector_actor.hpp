// The actor that hands bot requests to a connected bot, or answers them with the FAQ bot.
#pragma once

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;

/// Spawns the bot connector. `ctx` must outlive the actor.
caf::actor spawn_bot_connector_actor(caf::actor_system& system, router_context* ctx);

}  // namespace blendroute::actors
