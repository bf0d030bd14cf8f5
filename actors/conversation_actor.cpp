// Conversation actors: journal first, then apply the state machine and carry out effects.
#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <array>
#include <list>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include <caf/all.hpp>

#include "actors/journal_codec.hpp"
#include "actors/kpi_board.hpp"
#include "actors/rollout_board.hpp"
#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/sla_clock.hpp"
#include "actors/type_ids.hpp"
#include "core/conversation.hpp"
#include "core/conversation_input.hpp"
#include "core/routing.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.conversation";

using conversation_input = std::variant<ingress_envelope, offer_input, timer_input, idle_input,
                                        queue_full_input, offline_input>;

/// An input being journaled and the inputs waiting behind it. Only a busy actor has one: a
/// million idle conversation actors do not pay for it.
struct pending_work {
  conversation_input in_flight;
  /// The router time `in_flight` was journaled with; it is applied at that same time, so
  /// that recovery, applying it again from the journal, reaches the same state.
  time_point in_flight_at;
  std::list<conversation_input> backlog;
};

/// The clock's ids of the timers a conversation armed in its own steps, so that a timer it
/// no longer wants (a bot attempt the bot answered, a silence the customer broke) is
/// cancelled instead of waking the actor later only to be ignored. Behind a pointer: it is
/// made at the conversation's first step and goes when the conversation passivates, so that
/// an actor spawned for a conversation not yet opened does not carry its 56 bytes.
struct held_timers {
  std::array<sla_clock::timer_id, sla_kinds> sla{};  ///< By sla_kind.
  sla_clock::timer_id idle = 0;
  sla_clock::timer_id passivation = 0;
  /// The finish time the passivation timer was armed for, so that it is armed once per finish.
  time_point passivation_armed_for;
};

// An idle conversation actor costs about 1.5 KB resident, 1.2 KB of it CAF's own actor and
// behavior (BM_ConversationActor_ResidentMemory); keep what every actor holds small.
struct conversation_actor_state {
  router_context* ctx = nullptr;
  /// Behind a pointer, not inline: a restored conversation waits in CAF's spawn arguments
  /// until its first message starts the actor, and would otherwise be held twice, once
  /// there and once as this state's empty room (BM_OpenConversationActor_ResidentMemory).
  std::unique_ptr<conversation> conv;
  bool committing = false;  ///< A write is in flight, or a failed one waits to be retried.
  std::unique_ptr<pending_work> work;
  std::chrono::steady_clock::time_point queued_since;  ///< Last time it asked for an agent.
  std::unique_ptr<held_timers> timers;

  pending_work& busy() {
    if (!work) {
      work = std::make_unique<pending_work>();
    }
    return *work;
  }

  held_timers& held() {
    if (!timers) {
      timers = std::make_unique<held_timers>();
    }
    return *timers;
  }

  bool has_backlog() const { return work && !work->backlog.empty(); }

  static inline const char* name = "conversation_actor";
};

using actor_type = caf::stateful_actor<conversation_actor_state>;

/// The router time `envelope` reached the router: `now` less the time it waited since, for an
/// event that queued behind a journal write.
time_point arrived_at(const ingress_envelope& envelope, time_point now) {
  const auto waited = std::chrono::steady_clock::now() - envelope.received;
  return now - std::max(duration{0}, std::chrono::duration_cast<duration>(waited));
}

void reject(ingress_envelope& envelope, const error& err, router_context& ctx) {
  if (envelope.claimed) {
    ctx.journal->release(envelope.event.id);
  }
  envelope.done(ack::rejected(err.code, err.message));
}

/// A bot reply or pass-back that names an intent but no skills requires the skills the
/// configuration gives that intent. Done before journaling, so that a rebuild requires the
/// same skills whatever the configuration says by then.
void require_intent_skills(ingress_event& event, const config& cfg) {
  if ((event.type != event_type::bot_reply && event.type != event_type::agent_passback)
      || !event.skills.empty() || event.intent.empty()) {
    return;
  }
  if (const auto* skills = skills_for_intent(cfg, event.intent)) {
    event.skills = *skills;
  }
}

/// Gives the frames that carry a context (bot requests and offers) the conversation's
/// context, built once and shared by all of them.
void attach_context(const router_context& ctx, const conversation& conv,
                    std::vector<effect>& effects, time_point now) {
  std::shared_ptr<const conversation_context> context;
  for (auto& e : effects) {
    const bool needs =
        e.what == effect::kind::to_bot
        || (e.what == effect::kind::to_agent && e.frame.type == egress_type::agent_offer);
    if (!needs) {
      continue;
    }
    if (!context) {
      context =
          std::make_shared<conversation_context>(conv.context(now, ctx.cfg->bot.transcript_lines));
    }
    e.frame.context = context;
  }
}

/// Carries out the effects of conversation `conv` (whose actor is `actor`) once their input
/// is journaled: frames leave, the pool and the bot connector are asked, timers are armed.
/// Runs in the conversation's actor, and at recovery on the thread that restores it, before
/// the actor has handled anything. Contexts must be attached already.
///
/// `held` (when not null) keeps the ids of the timers armed, each replacing and cancelling the
/// one it supersedes.
void dispatch_effects(router_context& ctx, const std::string& conv, const caf::actor_addr& actor,
                      std::vector<effect>& effects, time_point now, held_timers* held,
                      std::vector<bot_request_msg>* bot_requests = nullptr) {
  const bool debug = ctx.log != nullptr && ctx.log->enabled(log_level::debug);
  for (auto& e : effects) {
    switch (e.what) {
      case effect::kind::to_bot:
        if (bot_requests != nullptr) {
          bot_requests->push_back({std::move(e.frame)});
        } else {
          caf::anon_send(ctx.bot_connector, ask_bot_atom_v, bot_request_msg{std::move(e.frame)});
        }
        break;
      case effect::kind::to_agent:
        if (!ctx.egress->send_to_agent(e.agent, e.frame) && debug) {
          // The network layer keeps it for when the agent is back.
          ctx.log_line(log_level::debug, component,
                       "agent_unreachable conv=" + conv + " agent=" + e.agent);
        }
        break;
      case effect::kind::to_gateway:
        if (!ctx.egress->send_to_gateway(e.frame) && debug) {
          ctx.log_line(log_level::debug, component, "gateway_unreachable conv=" + conv);
        }
        break;
      case effect::kind::to_supervisors:
        ctx.egress->send_to_supervisors(e.frame);
        if (e.frame.type == egress_type::sla_breach && e.frame.level == 1) {
          ctx.stats->count_breach(e.frame.tier, *parse_sla_kind(e.frame.sla));
        }
        if (!debug) {
          break;
        }
        if (e.frame.type == egress_type::conversation_state) {
          ctx.log_line(log_level::debug, component,
                       "state conv=" + conv + " state=" + e.frame.state + " owner=" + e.frame.owner
                           + " reason=" + e.frame.reason);
        } else {
          ctx.log_line(log_level::debug, component,
                       "sla_breach conv=" + conv + " sla=" + e.frame.sla + " level="
                           + std::to_string(e.frame.level) + " action=" + e.frame.action);
        }
        break;
      case effect::kind::enqueue:
        caf::anon_send(ctx.agent_pool, enqueue_atom_v, enqueue_request(conv, e, now));
        break;
      case effect::kind::withdraw:
        caf::anon_send(ctx.agent_pool, withdraw_atom_v, conv);
        break;
      case effect::kind::release_agent:
        caf::anon_send(ctx.agent_pool, release_atom_v, e.agent, conv);
        break;
      case effect::kind::raise_priority:
        caf::anon_send(ctx.agent_pool, raise_atom_v, conv);
        break;
      case effect::kind::relax_skills:
        caf::anon_send(ctx.agent_pool, relax_atom_v, conv);
        break;
      case effect::kind::arm_idle_timer: {
        const auto id =
            ctx.timers->arm(actor, {timer_due::kind::idle, e.sla, e.deadline, e.level}, e.at);
        if (held != nullptr) {
          ctx.timers->cancel(std::exchange(held->idle, id));
        }
        break;
      }
      case effect::kind::arm_timer: {
        const auto id =
            ctx.timers->arm(actor, {timer_due::kind::sla, e.sla, e.deadline, e.level}, e.at);
        if (held != nullptr) {
          ctx.timers->cancel(std::exchange(held->sla[static_cast<std::size_t>(e.sla)], id));
        }
        break;
      }
    }
  }
}

/// Counts what the effects of a live step mean for the KPIs: an SLA that starts to apply
/// (its first timer; the bot taking over for bot_max_turns) and one that was breached.
void count_sla_kpis(router_context& ctx, const std::string& tier, bool blended,
                    const std::vector<effect>& effects, time_point now) {
  if (ctx.kpis == nullptr) {
    return;
  }
  for (const auto& e : effects) {
    if (e.what == effect::kind::arm_timer && e.level == 1) {
      ctx.kpis->record([&](kpi_window& w) { w.record_sla_opportunity(tier, e.sla, now); });
      if (e.sla == sla_kind::human_response && blended && ctx.rollout != nullptr) {
        ctx.rollout->record([](rollout_controller& r) { r.record_human_response(false); });
      }
    } else if (e.what == effect::kind::to_supervisors) {
      if (e.frame.type == egress_type::sla_breach && e.frame.level == 1) {
        const auto sla = *parse_sla_kind(e.frame.sla);
        ctx.kpis->record([&](kpi_window& w) { w.record_sla_breach(e.frame.tier, sla, now); });
        if (sla == sla_kind::human_response && blended && ctx.rollout != nullptr) {
          // Counted as applied when armed; a breach turns one of those into a miss.
          ctx.rollout->record([](rollout_controller& r) { r.record_human_response_breach(); });
        }
      } else if (e.frame.type == egress_type::conversation_state && e.frame.state == "bot") {
        ctx.kpis->record(
            [&](kpi_window& w) { w.record_sla_opportunity(tier, sla_kind::bot_max_turns, now); });
      }
    }
  }
}

/// Counts a conversation that just finished, or was reopened (`resolved_before` is how it had
/// ended, when it was resolved before this step), or rated.
void count_outcome_kpis(router_context& ctx, const conversation& conv, bool was_open,
                        const std::optional<conversation_outcome>& resolved_before,
                        int reopens_before, const conversation_input& input, time_point now) {
  if (ctx.kpis == nullptr) {
    return;
  }
  const std::string& tier = conv.tier();
  // The rollout judges the blended cohort only: control conversations never meet the bot.
  const bool blended = ctx.rollout != nullptr && !conv.control_cohort();
  if (resolved_before && conv.reopens() > reopens_before) {
    // Its earlier ending no longer stands: the conversation counts again when it ends again.
    ctx.kpis->record([&](kpi_window& w) { w.record_reopen(tier, *resolved_before, now); });
    if (blended) {
      ctx.rollout->record([&](rollout_controller& r) {
        r.record_reopened(conv.id(), *resolved_before, conv.intent());
      });
    }
  }
  if (was_open && !is_open(conv.state())) {
    const conversation_outcome outcome = conv.outcome();
    ctx.kpis->record([&](kpi_window& w) { w.record_outcome(tier, outcome, now); });
    if (blended) {
      ctx.rollout->record(
          [&](rollout_controller& r) { r.record_finished(conv.id(), outcome, conv.intent()); });
    }
  }
  if (const auto* envelope = std::get_if<ingress_envelope>(&input);
      envelope != nullptr && envelope->event.type == event_type::customer_csat) {
    const int score = envelope->event.csat_score;
    ctx.kpis->record([&](kpi_window& w) { w.record_csat(tier, score, now); });
    if (blended) {
      ctx.rollout->record([score](rollout_controller& r) { r.record_csat(score); });
    }
  }
}

/// Cancels the timers held for deadlines the conversation no longer has: the step that just
/// ran disarmed them (an answered bot attempt, an accepted offer, a customer who wrote).
void cancel_disarmed_timers(router_context& ctx, const conversation& conv, held_timers& held) {
  for (std::size_t sla = 0; sla < held.sla.size(); ++sla) {
    if (held.sla[sla] != 0 && !conv.armed_deadline(static_cast<sla_kind>(sla))) {
      ctx.timers->cancel(std::exchange(held.sla[sla], 0));
    }
  }
  if (held.idle != 0 && !conv.idle_deadline()) {
    ctx.timers->cancel(std::exchange(held.idle, 0));
  }
  if (held.passivation != 0 && is_open(conv.state())) {
    ctx.timers->cancel(std::exchange(held.passivation, 0));  // Reopened.
  }
}

void cancel_held_timers(router_context& ctx, held_timers& held) {
  for (auto& id : held.sla) {
    ctx.timers->cancel(std::exchange(id, 0));
  }
  ctx.timers->cancel(std::exchange(held.idle, 0));
  ctx.timers->cancel(std::exchange(held.passivation, 0));
}

void carry_out(actor_type* self, std::vector<effect>& effects, time_point now) {
  auto& st = self->state;
  attach_context(*st.ctx, *st.conv, effects, now);
  held_timers& held = st.held();
  dispatch_effects(*st.ctx, st.conv->id(), self->address(), effects, now, &held);
  cancel_disarmed_timers(*st.ctx, *st.conv, held);
}

void process_next(actor_type* self);

/// A finished conversation keeps its actor for the resume window (a late CSAT, a reopening
/// customer), then lets it go so that memory follows the open conversations.
void arm_passivation(actor_type* self) {
  auto& st = self->state;
  const conversation& conv = *st.conv;
  held_timers& held = st.held();
  if (is_open(conv.state()) || held.passivation_armed_for == conv.finished_at()) {
    return;
  }
  held.passivation_armed_for = conv.finished_at();
  const tier_policy& tier = st.ctx->policy(conv.tier());
  const auto id = st.ctx->timers->arm(
      self->address(), {timer_due::kind::passivate, sla_kind::bot_attempt, conv.finished_at(), 0},
      conv.finished_at() + tier.resume_window);
  st.ctx->timers->cancel(std::exchange(held.passivation, id));
}

/// Leaves the directory, then forwards whatever still reaches this actor to the router,
/// which opens a fresh actor for a customer who writes again.
void passivate(actor_type* self) {
  auto& st = self->state;
  router_context* ctx = st.ctx;
  const std::string conv_id = st.conv->id();
  if (ctx->directory.erase_if(conv_id, self->address())) {
    ctx->directory.archive(conv_id, st.conv->finished_at());
  }
  ctx->lingering.insert(conv_id + "#" + std::to_string(self->id()),
                        caf::actor_cast<caf::actor>(self));
  ctx->log_line(log_level::debug, component, "conversation_passivated conv=" + conv_id);
  if (st.timers) {
    cancel_held_timers(*ctx, *st.timers);
    st.timers.reset();
  }
  st.conv.reset();
  self->become([=](conversation_msg& msg) {
    if (auto* envelope = std::get_if<ingress_envelope>(&msg.what)) {
      ctx->redispatch(std::move(*envelope));
    } else if (auto* offer = std::get_if<offer_input>(&msg.what)) {
      self->send(ctx->agent_pool, release_atom_v, offer->agent, conv_id);
    } else if (std::holds_alternative<backlog_retry>(msg.what)) {
      ctx->lingering.erase(conv_id + "#" + std::to_string(self->id()));
      self->quit();
    } else if (auto* view = std::get_if<view_request>(&msg.what)) {
      view->answer(std::nullopt);  // Let go just now: asked again, it is restored.
    }
  });
  self->set_default_handler(caf::drop);
  // Messages sent before the directory entry went are still on their way; give them time
  // to arrive and be forwarded.
  self->delayed_send(self, std::chrono::seconds{5}, conversation_msg{backlog_retry{}});
}

/// Journals `input` (if it still has an effect) and marks the actor busy until the write
/// completes; the result arrives as a `committed` message.
void begin(actor_type* self, conversation_input input) {
  auto& st = self->state;
  router_context& ctx = *st.ctx;
  conversation& conv = *st.conv;
  const time_point now = ctx.clock();

  persist::journal_record record;
  record.conv = conv.id();
  if (auto* envelope = std::get_if<ingress_envelope>(&input)) {
    auto allowed = conv.check(envelope->event);
    // Only an offered conversation has an offer to be late for; the clock read that dates
    // the arrival stays off every other event's path.
    if (allowed && conv.state() == conversation_state::offered) {
      allowed = conv.check_offer_in_time(envelope->event, arrived_at(*envelope, now));
    }
    if (!allowed) {
      reject(*envelope, allowed.err(), ctx);
      return;
    }
    if (envelope->claimed) {
      record.dedupe_id = envelope->event.id;
    }
    require_intent_skills(envelope->event, *ctx.cfg);
    record.payload =
        journal_event(envelope->event, now, conv.opened() ? std::string_view{} : envelope->tier);
  } else if (auto* offer = std::get_if<offer_input>(&input)) {
    if (conv.state() != conversation_state::queued) {
      self->send(ctx.agent_pool, release_atom_v, offer->agent, conv.id());
      return;
    }
    record.payload = journal_offer(offer->agent, offer->offer, now);
  } else if (auto* timer = std::get_if<timer_input>(&input)) {
    if (!conv.timer_is_current(timer->sla, timer->deadline)) {
      return;  // Disarmed or replaced since it was armed.
    }
    record.payload = journal_breach(timer->sla, timer->deadline, timer->level, now);
  } else if (auto* idle = std::get_if<idle_input>(&input)) {
    if (!conv.idle_timer_is_current(idle->since)) {
      return;  // The customer wrote, or the conversation moved on.
    }
    record.payload = journal_idle(idle->since, idle->stage, now);
  } else if (std::holds_alternative<queue_full_input>(input)) {
    if (conv.state() != conversation_state::queued) {
      return;
    }
    record.payload = journal_queue_full(conv.tier(), now);
  } else if (auto* offline = std::get_if<offline_input>(&input)) {
    const bool offered =
        conv.state() == conversation_state::offered && conv.offered_agent() == offline->agent;
    if (offline->offers_only
            ? !offered
            : conv.owner_agent() != offline->agent && conv.offered_agent() != offline->agent) {
      return;
    }
    record.payload = journal_agent_offline(offline->agent, now, offline->offers_only);
  }

  st.committing = true;
  pending_work& work = st.busy();
  work.in_flight = std::move(input);
  work.in_flight_at = now;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  ack_promise promise;
  if (auto* envelope = std::get_if<ingress_envelope>(&work.in_flight)) {
    promise = envelope->done;
  }
  ctx.journal->append_record(std::move(record), [me, promise,
                                                 conv_id = conv.id()](const result<void>& written) {
    // Should this actor fail before it answers, the event is answered by what the journal
    // did with it: applied from the journal by the restarted actor, or not written at all.
    promise.settle_unanswered(
        written.ok()
            ? ack::accepted(conv_id)
            : ack::rejected(errc::unavailable, "journal unavailable: " + written.err().message));
    caf::anon_send(me, conversation_msg{write_settled{
                           written.ok(), written.ok() ? std::string{} : written.err().message}});
  });
}

void on_committed(actor_type* self, bool written, const std::string& failure) {
  auto& st = self->state;
  router_context& ctx = *st.ctx;
  conversation& conv = *st.conv;
  conversation_input input = std::move(st.work->in_flight);
  st.committing = false;
  const time_point now = st.work->in_flight_at;

  if (!written) {
    // Nothing was applied. The journal has already given back the dedupe claim, and logs
    // the failure once for all conversations; this line is per event.
    ctx.log_line(log_level::debug, component,
                 "journal_write_failed conv=" + conv.id() + " error=" + failure);
    if (auto* envelope = std::get_if<ingress_envelope>(&input)) {
      envelope->done(ack::rejected(errc::unavailable, "journal unavailable: " + failure));
    } else if (auto* offer = std::get_if<offer_input>(&input)) {
      self->send(ctx.agent_pool, release_atom_v, offer->agent, conv.id());
      self->send(ctx.agent_pool, raise_atom_v, conv.id());
    } else {
      // A breach or an offline agent must still be handled: try again shortly, holding
      // back later inputs so that the order stays as it arrived.
      st.work->backlog.push_front(std::move(input));
      st.committing = true;
      self->delayed_send(self, std::chrono::milliseconds{100}, conversation_msg{backlog_retry{}});
      return;
    }
    process_next(self);
    return;
  }

  const bool was_open = conv.opened() && is_open(conv.state());
  const conversation_state was = conv.state();
  const int reopens_before = conv.reopens();
  const auto resolved_before = conv.opened() && was == conversation_state::resolved
                                   ? std::optional(conv.outcome())
                                   : std::nullopt;
  std::vector<effect> effects;
  const auto has = [&effects](effect::kind what, egress_type type) {
    return std::any_of(effects.begin(), effects.end(),
                       [&](const effect& e) { return e.what == what && e.frame.type == type; });
  };
  if (auto* envelope = std::get_if<ingress_envelope>(&input)) {
    const std::string& tier_name = conv.opened() ? conv.tier() : envelope->tier;
    effects = conv.apply(envelope->event, ctx.policy(tier_name), now);
    envelope->done(ack::accepted(conv.id()));
  } else if (auto* offer = std::get_if<offer_input>(&input)) {
    effects = conv.offer_made(offer->agent, offer->offer, ctx.policy(conv.tier()), now);
  } else if (auto* timer = std::get_if<timer_input>(&input)) {
    effects =
        conv.fire_sla(timer->sla, timer->deadline, timer->level, ctx.policy(conv.tier()), now);
  } else if (auto* idle = std::get_if<idle_input>(&input)) {
    effects = conv.fire_idle(idle->since, idle->stage, ctx.policy(conv.tier()), now);
  } else if (std::holds_alternative<queue_full_input>(input)) {
    effects = conv.queue_full(ctx.policy(conv.tier()), *ctx.cfg, now);
  } else if (auto* offline = std::get_if<offline_input>(&input)) {
    effects =
        conv.agent_offline(offline->agent, ctx.policy(conv.tier()), now, offline->offers_only);
  }
  const auto sent_at = std::chrono::steady_clock::now();
  if (auto* envelope = std::get_if<ingress_envelope>(&input);
      envelope != nullptr && has(effect::kind::to_bot, egress_type::bot_request)) {
    ctx.stats->record_message_to_bot(sent_at - envelope->received);
  }
  if (has(effect::kind::to_agent, egress_type::agent_offer)) {
    ctx.stats->record_escalation_to_offer(sent_at - st.queued_since);
  }
  if (std::any_of(effects.begin(), effects.end(),
                  [](const effect& e) { return e.what == effect::kind::enqueue; })) {
    st.queued_since = sent_at;
  }
  count_sla_kpis(ctx, conv.tier(), !conv.control_cohort(), effects, now);
  count_outcome_kpis(ctx, conv, was_open, resolved_before, reopens_before, input, now);
  if (const bool now_open = conv.opened() && is_open(conv.state());
      was_open != now_open || (now_open && was != conv.state())) {
    ctx.stats->move_open_conversation(was_open ? std::optional(was) : std::nullopt,
                                      now_open ? std::optional(conv.state()) : std::nullopt);
  }
  carry_out(self, effects, now);
  arm_passivation(self);
  process_next(self);
}

void enqueue_input(actor_type* self, conversation_input input) {
  auto& st = self->state;
  if (st.committing) {
    st.busy().backlog.push_back(std::move(input));
    return;
  }
  begin(self, std::move(input));
}

void process_next(actor_type* self) {
  auto& st = self->state;
  while (!st.committing && st.has_backlog()) {
    conversation_input next = std::move(st.work->backlog.front());
    st.work->backlog.pop_front();
    begin(self, std::move(next));
  }
  if (!st.committing) {
    st.work.reset();  // Idle again.
  }
}

/// The conversation as a supervisor sees it; nullopt before a message opened it.
std::optional<conversation_view> describe(const conversation_actor_state& st) {
  const conversation& conv = *st.conv;
  if (!conv.opened()) {
    return std::nullopt;
  }
  conversation_view view;
  view.conv = conv.id();
  view.state = std::string(name(conv.state()));
  view.tier = conv.tier();
  view.owner = conv.owner();
  view.customer = conv.customer();
  view.channel = conv.channel();
  view.bot_turns = conv.bot_turns();
  view.transfers = conv.transfers();
  view.opened_at = conv.opened_at();
  view.transcript = conv.transcript(static_cast<std::size_t>(st.ctx->cfg->bot.transcript_lines));
  return view;
}

void on_passivation_due(actor_type* self, time_point finished) {
  auto& st = self->state;
  if (is_open(st.conv->state()) || st.conv->finished_at() != finished) {
    return;  // Reopened since; its next finish arms a new timer.
  }
  if (st.committing || st.has_backlog()) {
    // A late event is being applied: look again shortly.
    const auto id = st.ctx->timers->arm(
        self->address(),
        {timer_due::kind::passivate, sla_kind::bot_attempt, st.conv->finished_at(), 0},
        st.ctx->clock() + std::chrono::seconds{1});
    st.ctx->timers->cancel(std::exchange(st.held().passivation, id));
    return;
  }
  passivate(self);
}

/// The one handler of a conversation actor.
void handle(actor_type* self, conversation_msg& msg) {
  auto& what = msg.what;
  if (auto* envelope = std::get_if<ingress_envelope>(&what)) {
    enqueue_input(self, std::move(*envelope));
  } else if (auto* settled = std::get_if<write_settled>(&what)) {
    on_committed(self, settled->written, settled->failure);
  } else if (auto* offer = std::get_if<offer_input>(&what)) {
    enqueue_input(self, std::move(*offer));
  } else if (auto* timer = std::get_if<timer_input>(&what)) {
    enqueue_input(self, *timer);
  } else if (auto* idle = std::get_if<idle_input>(&what)) {
    enqueue_input(self, *idle);
  } else if (std::holds_alternative<queue_full_input>(what)) {
    enqueue_input(self, queue_full_input{});
  } else if (auto* offline = std::get_if<offline_input>(&what)) {
    enqueue_input(self, std::move(*offline));
  } else if (auto* due = std::get_if<passivation_due>(&what)) {
    on_passivation_due(self, due->finished);
  } else if (std::holds_alternative<backlog_retry>(what)) {
    self->state.committing = false;
    process_next(self);
  } else if (auto* view = std::get_if<view_request>(&what)) {
    view->answer(describe(self->state));
  }
}

caf::behavior conversation_behavior(actor_type* self) {
  return {[=](conversation_msg& msg) {
    handle(self, msg);
  }};
}

caf::behavior conversation_actor(actor_type* self, router_context* ctx, std::string conv_id) {
  self->state.ctx = ctx;
  self->state.conv = std::make_unique<conversation>(std::move(conv_id));
  return conversation_behavior(self);
}

caf::behavior restored_conversation_actor(actor_type* self, router_context* ctx,
                                          std::unique_ptr<conversation> conv,
                                          std::vector<effect> resume) {
  auto& st = self->state;
  st.ctx = ctx;
  st.conv = std::move(conv);
  carry_out(self, resume, ctx->clock());
  arm_passivation(self);
  return conversation_behavior(self);
}

/// An open conversation restored lazily: its pending work was carried out by the thread
/// that restored it, so only the conversation waits for the actor to start.
caf::behavior waiting_restored_conversation_actor(actor_type* self, router_context* ctx,
                                                  std::unique_ptr<conversation> conv) {
  self->state.ctx = ctx;
  self->state.conv = std::move(conv);
  return conversation_behavior(self);
}

caf::behavior archived_conversation_actor(actor_type* self, router_context* ctx,
                                          std::unique_ptr<conversation> conv) {
  self->state.ctx = ctx;
  self->state.conv = std::move(conv);
  // Its resume window is over: passivating it at once would race the event it was
  // restored for. Handling that event arms the passivation.
  return conversation_behavior(self);
}

}  // namespace

void fire_conversation_timer(const caf::actor_addr& target, const timer_due& due) {
  auto conversation_actor = caf::actor_cast<caf::actor>(target);
  if (!conversation_actor) {
    return;  // The conversation's actor has stopped.
  }
  switch (due.what) {
    case timer_due::kind::passivate:
      caf::anon_send(conversation_actor, conversation_msg{passivation_due{due.deadline}});
      break;
    case timer_due::kind::idle:
      caf::anon_send(conversation_actor, conversation_msg{idle_input{due.deadline, due.level}});
      break;
    case timer_due::kind::sla:
      caf::anon_send(conversation_actor,
                     conversation_msg{timer_input{due.sla, due.deadline, due.level}});
      break;
  }
}

enqueue_msg enqueue_request(const std::string& conv, const effect& e, time_point now) {
  return {queue_entry{conv, e.tier, e.waiting_since.value_or(now), e.skills, e.agent,
                      e.target_agent, e.preferred_agent, e.at},
          e.at_head};
}

caf::actor spawn_conversation_actor(caf::actor_system& system, router_context* ctx,
                                    const std::string& conv) {
  return system.spawn(conversation_actor, ctx, conv);
}

caf::actor spawn_restored_conversation_actor(caf::actor_system& system, router_context* ctx,
                                             conversation conv, std::vector<effect> resume,
                                             std::vector<bot_request_msg>* bot_requests) {
  auto restored_conv = std::make_unique<conversation>(std::move(conv));
  if (!is_open(restored_conv->state())) {
    // A finished one inside its resume window: it arms its passivation when it starts.
    return system.spawn(restored_conversation_actor, ctx, std::move(restored_conv),
                        std::move(resume));
  }
  // An open one starts only with its first message (a timer, an event): a million of them
  // restored at once would otherwise all be scheduled to start while the journal is still
  // being read. Its pending work is carried out here, on the restoring thread.
  const time_point now = ctx->clock();
  attach_context(*ctx, *restored_conv, resume, now);
  const std::string conv_id = restored_conv->id();
  caf::actor restored = system.spawn<caf::lazy_init>(waiting_restored_conversation_actor, ctx,
                                                     std::move(restored_conv));
  // The restoring thread cannot reach the actor's state: these timers are not held, and fire
  // (to be ignored if stale) instead of being cancelled.
  dispatch_effects(*ctx, conv_id, restored.address(), resume, now, nullptr, bot_requests);
  return restored;
}

caf::actor spawn_archived_conversation_actor(caf::actor_system& system, router_context* ctx,
                                             conversation conv) {
  return system.spawn(archived_conversation_actor, ctx,
                      std::make_unique<conversation>(std::move(conv)));
}

}  // namespace blendroute::actors
