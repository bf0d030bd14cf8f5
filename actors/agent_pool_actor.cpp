// Agent pool actor: agent status, queues per tier, and offers to the longest-idle agent.
#include "actors/agent_pool_actor.hpp"

#include <optional>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/journal_codec.hpp"
#include "actors/router_context.hpp"
#include "actors/type_ids.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.agent_pool";

struct agent_pool_state {
  router_context* ctx = nullptr;
  std::optional<agent_pool> pool;
  /// Per agent whose connection is down, the generation of its grace timer: a reconnect
  /// bumps it, so that the timer armed before is recognised as stale.
  std::unordered_map<std::string, std::uint64_t> grace;
  std::uint64_t next_grace = 0;

  static inline const char* name = "agent_pool_actor";
};

using actor_type = caf::stateful_actor<agent_pool_state>;

void dispatch(actor_type* self);

/// `agent` has no connection: its pending offers go to others at once, and unless it comes
/// back within the grace period it goes offline.
void disconnected(actor_type* self, const std::string& agent) {
  auto& st = self->state;
  for (const auto& conv : st.pool->set_connected(agent, false, st.ctx->clock())) {
    if (auto conversation_actor = st.ctx->directory.find(conv)) {
      self->send(*conversation_actor, conversation_msg{offline_input{agent, true}});
    }
  }
  const std::uint64_t generation = ++st.next_grace;
  st.grace[agent] = generation;
  self->delayed_send(self, std::chrono::milliseconds{st.ctx->cfg->agent_disconnect_grace.count()},
                     presence_atom_v, agent, generation);
  st.ctx->log_line(log_level::debug, component, "agent_disconnected agent=" + agent);
}

/// The grace period of `agent` is over: offline, as if it had said so, journaled first.
void grace_over(actor_type* self, const std::string& agent) {
  ingress_event offline;
  offline.type = event_type::agent_status;
  offline.id =
      "router:grace_over:" + agent + ":" + std::to_string(unix_ms(self->state.ctx->clock()));
  offline.agent = agent;
  offline.presence = agent_presence::offline;
  self->state.ctx->log_line(log_level::debug, component, "agent_grace_over agent=" + agent);
  self->send(self, update_atom_v,
             ingress_envelope{std::move(offline), ack_promise([](ack) {}), false, {}});
}

/// Makes every offer that is possible now.
void dispatch(actor_type* self) {
  auto& st = self->state;
  const time_point now = st.ctx->clock();
  for (auto& decision : st.pool->assign(now)) {
    auto conversation_actor = st.ctx->directory.find(decision.conv);
    if (!conversation_actor) {
      st.pool->release(decision.agent, decision.conv, now);
      continue;
    }
    st.ctx->log_line(
        log_level::debug, component,
        "offer conv=" + decision.conv + " agent=" + decision.agent + " offer=" + decision.offer);
    self->send(*conversation_actor, conversation_msg{offer_input{decision.agent, decision.offer}});
  }
}

caf::behavior agent_pool_actor(actor_type* self, router_context* ctx) {
  auto& st = self->state;
  st.ctx = ctx;
  // Offer ids start with the pool's start time, so that they stay unique across restarts.
  std::string offer_prefix = "o";
  offer_prefix += std::to_string(unix_ms(ctx->clock()));
  st.pool.emplace(std::move(offer_prefix));
  auto apply_tiers = [](agent_pool& pool, const config& cfg) {
    for (const auto& tier : cfg.tiers) {
      pool.set_tier_priority(tier.name, tier.priority);
      pool.set_queue_limit(tier.name, tier.max_queue);
    }
  };
  apply_tiers(*st.pool, *ctx->cfg);
  return {
      // The configuration was reloaded: tier priorities and queue limits may have changed,
      // and with them who is offered first.
      [=](reload_atom) {
        apply_tiers(*self->state.pool, *self->state.ctx->cfg);
        dispatch(self);
      },
      [=](enqueue_atom, enqueue_msg& request) {
        auto& st = self->state;
        const std::string conv = request.entry.conv;
        const std::string tier = request.entry.tier;
        if (!request.entry.preferred_agent.empty()) {
          // Look again when the wait for the returning customer's agent is over.
          const auto wait = request.entry.prefer_until - st.ctx->clock();
          self->delayed_send(self, std::max(duration{0}, wait), retry_atom_v);
        }
        if (!st.pool->enqueue(std::move(request.entry), request.at_head)) {
          st.ctx->log_line(log_level::debug, component,
                           "queue_full conv=" + conv + " tier=" + tier);
          if (auto conversation_actor = st.ctx->directory.find(conv)) {
            self->send(*conversation_actor, conversation_msg{queue_full_input{}});
          }
          return;
        }
        dispatch(self);
      },
      [=](withdraw_atom, const std::string& conv) { self->state.pool->withdraw(conv); },
      // Recovery at start, before any event: the state the journal holds, applied again
      // without journaling it a second time.
      [=](restore_atom, const agent_restore_msg& restored) {
        self->state.pool->update_status(restored.status, self->state.ctx->clock());
        if (restored.status.presence != agent_presence::offline) {
          // Nobody is connected right after a start: every agent must come back within
          // its grace period.
          disconnected(self, restored.status.agent);
        }
      },
      [=](presence_atom, const std::string& agent, bool connected) {
        auto& st = self->state;
        if (!connected) {
          disconnected(self, agent);
          return;
        }
        st.grace.erase(agent);
        st.pool->set_connected(agent, true, st.ctx->clock());
        st.ctx->log_line(log_level::debug, component, "agent_connected agent=" + agent);
        dispatch(self);
      },
      [=](presence_atom, const std::string& agent, std::uint64_t generation) {
        auto& st = self->state;
        auto it = st.grace.find(agent);
        if (it == st.grace.end() || it->second != generation) {
          return;  // It came back meanwhile.
        }
        st.grace.erase(it);
        grace_over(self, agent);
      },
      [=](restore_atom, const std::string& agent, const std::string& conv) {
        self->state.pool->restore_hold(agent, conv, self->state.ctx->clock());
      },
      [=](release_atom, const std::string& agent, const std::string& conv) {
        self->state.pool->release(agent, conv, self->state.ctx->clock());
        dispatch(self);
      },
      [=](drop_atom, const std::string& conv) {
        auto& st = self->state;
        const auto holders = st.pool->drop_conversation(conv, st.ctx->clock());
        for (const auto& agent : holders) {
          st.ctx->log_line(log_level::warn, component,
                           "conversation_dropped conv=" + conv + " agent=" + agent);
        }
        dispatch(self);  // What they held is free for the next conversation.
      },
      [=](retry_atom) { dispatch(self); },
      [=](view_atom, pool_view_request& request) {
        const auto& st = self->state;
        const time_point now = st.ctx->clock();
        if (request.agents) {
          std::vector<agent_view> agents;
          for (const auto& [id, agent] : st.pool->agents()) {
            agents.push_back({id, agent.presence, agent.capacity, agent.skills,
                              agent.conversations.size(), agent.connected});
          }
          request.agents(std::move(agents));
        }
        if (request.queues) {
          std::vector<queue_view> queues;
          for (const auto& tier : st.pool->tiers()) {
            queues.push_back({tier, st.pool->queue_depth(tier), st.pool->longest_wait(tier, now)});
          }
          request.queues(std::move(queues));
        }
      },
      [=](relax_atom, const std::string& conv) {
        self->state.pool->relax_skills(conv);
        dispatch(self);
      },
      [=](raise_atom, const std::string& conv) {
        self->state.pool->raise_priority(conv);
        dispatch(self);
      },
      [=](update_atom, ingress_envelope& envelope) {
        // Journal first: after a crash the agent's last announced state must be known.
        persist::journal_record record;
        record.agent = envelope.event.agent;
        record.dedupe_id = envelope.claimed ? envelope.event.id : std::string{};
        record.payload = journal_event(envelope.event, self->state.ctx->clock());
        auto pending = std::make_shared<ingress_envelope>(std::move(envelope));
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.ctx->journal->append_record(
            std::move(record), [me, pending](const result<void>& r) {
              caf::anon_send(me, settle_atom_v, std::move(*pending), r.ok(),
                             r.ok() ? std::string{} : r.err().message);
            });
      },
      [=](settle_atom, ingress_envelope& envelope, bool written, const std::string& failure) {
        auto& state = self->state;
        if (!written) {
          // The journal itself logs the failure once; this is per event.
          state.ctx->log_line(
              log_level::debug, component,
              "journal_write_failed agent=" + envelope.event.agent + " error=" + failure);
          envelope.done(ack::rejected(errc::unavailable, "journal unavailable: " + failure));
          return;
        }
        const ingress_event& status = envelope.event;
        auto orphaned = state.pool->update_status(status, state.ctx->clock());
        state.ctx->log_line(
            log_level::debug, component,
            "agent_status agent=" + status.agent + " status=" + std::string(name(status.presence)));
        for (const auto& conv : orphaned) {
          if (auto conversation_actor = state.ctx->directory.find(conv)) {
            self->send(*conversation_actor, conversation_msg{offline_input{status.agent}});
          }
        }
        envelope.done(ack::accepted());
        dispatch(self);
      },
  };
}

}  // namespace

caf::actor spawn_agent_pool_actor(caf::actor_system& system, router_context* ctx) {
  return system.spawn(agent_pool_actor, ctx);
}

}  // namespace blendroute::actors
