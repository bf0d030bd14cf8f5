// Tier routers: open conversations of their tier and notice when one of them fails.
#include "actors/tier_router_actor.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/type_ids.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.tier";

struct tier_router_state {
  router_context* ctx = nullptr;
  std::string tier;
  std::unordered_map<caf::actor_addr, std::string> conversations;

  static inline const char* name = "tier_router_actor";
};

using actor_type = caf::stateful_actor<tier_router_state>;

caf::behavior tier_router_actor(actor_type* self, router_context* ctx, std::string tier) {
  self->state.ctx = ctx;
  self->state.tier = std::move(tier);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    auto it = st.conversations.find(down.source);
    if (it == st.conversations.end()) {
      return;
    }
    if (down.reason) {
      // TODO(actors): restart the conversation from its journal (snapshot plus tail) instead
      // of dropping it; until then its next event opens it afresh.
      st.ctx->stats->count_conversation_failure();
      st.ctx->log_line(log_level::error, component,
                       "conversation_failed conv=" + it->second + " tier=" + st.tier
                           + " reason=" + caf::to_string(down.reason));
    }
    st.ctx->directory.erase_if(it->second, down.source);
    st.conversations.erase(it);
  });
  return {
      [=](supervise_atom, const caf::actor& conversation_actor, const std::string& conv) {
        auto& st = self->state;
        self->monitor(conversation_actor);
        st.conversations.emplace(conversation_actor.address(), conv);
        st.ctx->log_line(log_level::debug, component,
                         "conversation_opened conv=" + conv + " tier=" + st.tier);
      },
  };
}

}  // namespace

caf::actor spawn_tier_router_actor(caf::actor_system& system, router_context* ctx,
                                   const std::string& tier) {
  return system.spawn(tier_router_actor, ctx, tier);
}

}  // namespace blendroute::actors
