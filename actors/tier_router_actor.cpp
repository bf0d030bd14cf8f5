// Tier routers: open conversations of their tier and notice when one of them fails.
#include "actors/tier_router_actor.hpp"

#include <chrono>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/recovery.hpp"
#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/type_ids.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.tier";

/// Restarts of one conversation within the current window.
struct restart_budget {
  std::chrono::steady_clock::time_point window_start;
  int restarts = 0;
};

/// A conversation whose actor keeps failing is given up after this many restarts within
/// `restart_window`: its journal would only fail it again.
constexpr int max_restarts = 3;
constexpr auto restart_window = std::chrono::minutes{1};

struct tier_router_state {
  router_context* ctx = nullptr;
  std::string tier;
  std::unordered_map<caf::actor_addr, std::string> conversations;
  std::unordered_map<std::string, restart_budget> restarts;

  static inline const char* name = "tier_router_actor";
};

using actor_type = caf::stateful_actor<tier_router_state>;

void supervise(actor_type* self, const caf::actor& conversation_actor, const std::string& conv) {
  self->monitor(conversation_actor);
  self->state.conversations.emplace(conversation_actor.address(), conv);
}

/// Budgets kept before the ones whose window is over are dropped: many conversations
/// failing over the months must not grow the table.
constexpr std::size_t budgets_kept = 1024;

/// Whether `conv` may be restarted once more now.
bool within_budget(tier_router_state& st, const std::string& conv) {
  const auto now = std::chrono::steady_clock::now();
  if (st.restarts.size() >= budgets_kept) {
    std::erase_if(st.restarts, [&](const auto& entry) {
      return now - entry.second.window_start > restart_window;
    });
  }
  restart_budget& budget = st.restarts[conv];
  if (now - budget.window_start > restart_window) {
    budget = {now, 0};
  }
  return ++budget.restarts <= max_restarts;
}

/// Rebuilds a failed conversation from its snapshot and journal into a fresh actor that takes over
/// the directory entry of the failed one (`failed`). The router's other actors still hold its queue
/// place, offer and bot request; only its timers, which died with the actor, are armed again. Until
/// then events for it reach the failed actor and are answered `unavailable` by their ack promise,
/// so senders retry them.
void restart(actor_type* self, const std::string& conv_id, const caf::actor_addr& failed) {
  auto& st = self->state;
  router_context& ctx = *st.ctx;
  auto give_up = [&](const std::string& why) {
    ctx.directory.erase_if(conv_id, failed);
    // Its queue place and its agent's capacity would otherwise stay taken until a restart.
    if (ctx.agent_pool) {
      self->send(ctx.agent_pool, drop_atom_v, conv_id);
    }
    ctx.log_line(log_level::error, component,
                 "conversation_given_up conv=" + conv_id + " tier=" + st.tier + " " + why);
  };
  if (!within_budget(st, conv_id)) {
    give_up("restarts=" + std::to_string(max_restarts)
            + " within_s=" + std::to_string(std::chrono::seconds{restart_window}.count()));
    return;
  }
  auto rebuild = rebuild_latest(ctx, conv_id);
  if (!rebuild) {
    give_up("error=\"" + rebuild.err().message + "\"");
    return;
  }
  if (!rebuild->conv().opened()) {
    // It failed before anything was journaled: its next event opens it afresh.
    ctx.directory.erase_if(conv_id, failed);
    return;
  }
  std::vector<effect> timers = rebuild->pending();
  std::erase_if(timers, [](const effect& e) {
    return e.what != effect::kind::arm_timer && e.what != effect::kind::arm_idle_timer;
  });
  const std::size_t records = rebuild->inputs();
  caf::actor restarted =
      spawn_restored_conversation_actor(self->system(), &ctx, rebuild->take(), std::move(timers));
  if (!ctx.directory.replace_if(conv_id, failed, restarted)) {
    // Passivated or taken over meanwhile: nothing to restart.
    caf::anon_send_exit(restarted, caf::exit_reason::user_shutdown);
    return;
  }
  supervise(self, restarted, conv_id);
  ctx.stats->count_conversation_restart();
  ctx.log_line(log_level::warn, component,
               "conversation_restarted conv=" + conv_id + " tier=" + st.tier
                   + " records=" + std::to_string(records));
}

caf::behavior tier_router_actor(actor_type* self, router_context* ctx, std::string tier) {
  self->state.ctx = ctx;
  self->state.tier = std::move(tier);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    auto it = st.conversations.find(down.source);
    if (it == st.conversations.end()) {
      return;
    }
    const std::string conv = std::move(it->second);
    st.conversations.erase(it);
    if (!down.reason || down.reason == caf::exit_reason::user_shutdown) {
      st.ctx->directory.erase_if(conv, down.source);
      return;  // Passivated, or stopped with the router.
    }
    st.ctx->stats->count_conversation_failure();
    st.ctx->log_line(log_level::error, component,
                     "conversation_failed conv=" + conv + " tier=" + st.tier
                         + " reason=" + caf::to_string(down.reason));
    // Rebuild only once the journal has written everything queued before now: the failed
    // actor's last write may still be on its way, and its event must be in the rebuild.
    caf::actor me = caf::actor_cast<caf::actor>(self);
    st.ctx->journal->append({}, [me, conv, failed = down.source](const result<void>&) {
      caf::anon_send(me, restore_atom_v, conv, failed);
    });
  });
  return {
      [=](restore_atom, const std::string& conv, const caf::actor_addr& failed) {
        restart(self, conv, failed);
      },
      [=](supervise_atom, const supervise_batch& batch) {
        for (const auto& [conversation_actor, conv] : batch.conversations) {
          supervise(self, conversation_actor, conv);
        }
      },
      [=](supervise_atom, const caf::actor& conversation_actor, const std::string& conv) {
        supervise(self, conversation_actor, conv);
        self->state.ctx->log_line(log_level::debug, component,
                                  "conversation_opened conv=" + conv + " tier=" + self->state.tier);
      },
  };
}

}  // namespace

caf::actor spawn_tier_router_actor(caf::actor_system& system, router_context* ctx,
                                   const std::string& tier) {
  return system.spawn(tier_router_actor, ctx, tier);
}

}  // namespace blendroute::actors
