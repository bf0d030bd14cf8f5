// The actor that owns one conversation and applies its inputs one at a time.
#pragma once

#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/sla_clock.hpp"
#include "actors/type_ids.hpp"
#include "core/conversation.hpp"
#include "core/time.hpp"

namespace blendroute::actors {

struct router_context;

/// Spawns the actor of conversation `conv`. It journals each input before applying it, so
/// an ownership change is durable before its effect is sent; inputs that arrive while a
/// write is in flight wait in order. `ctx` must outlive the actor.
caf::actor spawn_conversation_actor(caf::actor_system& system, router_context* ctx,
                                    const std::string& conv);

/// Tells the conversation actor at `target` that its timer `due` came due; nothing when
/// that actor has stopped. The sla_clock's fire function.
void fire_conversation_timer(const caf::actor_addr& target, const timer_due& due);

/// The request to the agent pool that an `enqueue` effect of conversation `conv` stands for.
enqueue_msg enqueue_request(const std::string& conv, const effect& e, time_point now);

/// Spawns the actor of a conversation rebuilt from its journal and carries out `resume`
/// (the pending work to re-establish: timers, a bot request, an offer). With `bot_requests`
/// set, a bot request to re-send is added there instead of sent, for a bulk restore to send
/// many at once.
caf::actor spawn_restored_conversation_actor(caf::actor_system& system, router_context* ctx,
                                             conversation conv, std::vector<effect> resume,
                                             std::vector<bot_request_msg>* bot_requests = nullptr);

/// Spawns the actor of an archived conversation rebuilt from its journal for an event that
/// reached it. Unlike a restored one it is not passivated before it has handled an input.
caf::actor spawn_archived_conversation_actor(caf::actor_system& system, router_context* ctx,
                                             conversation conv);

}  // namespace blendroute::actors
