// The actor that owns one conversation and applies its inputs one at a time.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace blendroute::actors {

struct router_context;

/// Spawns the actor of conversation `conv`. It journals each input before applying it, so
/// an ownership change is durable before its effect is sent; inputs that arrive while a
/// write is in flight wait in order. `ctx` must outlive the actor.
caf::actor spawn_conversation_actor(caf::actor_system& system, router_context* ctx,
                                    const std::string& conv);

}  // namespace blendroute::actors
