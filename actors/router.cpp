// Starting and stopping the actor system, and the dispatch of ingress events to actors.
#include "actors/router.hpp"

#include <cassert>
#include <mutex>
#include <shared_mutex>

#include <caf/all.hpp>

#include "actors/agent_pool_actor.hpp"
#include "actors/bot_connector_actor.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/journal_codec.hpp"
#include "actors/kpi_board.hpp"
#include "actors/recovery.hpp"
#include "actors/retention_actor.hpp"
#include "actors/rollout_board.hpp"
#include "actors/router_context.hpp"
#include "actors/router_stats.hpp"
#include "actors/session_broker.hpp"
#include "actors/sla_clock.hpp"
#include "actors/tier_router_actor.hpp"
#include "actors/type_ids.hpp"
#include "core/prometheus_text.hpp"
#include "core/routing.hpp"

namespace blendroute::actors {
namespace {

/// Copies the runtime section of the configuration into CAF's (STYLE.md §7: one place).
void apply_runtime(const runtime_config& runtime, caf::actor_system_config& caf_cfg) {
  caf_cfg.set("scheduler.policy", caf::atom_from_string(runtime.policy));
  caf_cfg.set("scheduler.max-threads", static_cast<std::size_t>(runtime.scheduler_threads));
  caf_cfg.set("scheduler.max-throughput", static_cast<std::size_t>(runtime.max_throughput));
}

}  // namespace

struct router::impl {
  explicit impl(router_options options) {
    apply_runtime(options.cfg->runtime, caf_cfg);
    ctx.cfg = std::move(options.cfg);
    ctx.journal = options.journal;
    ctx.egress = options.egress;
    ctx.bot = options.bot;
    ctx.log = options.log;
    ctx.clock = std::move(options.clock);
  }

  caf::actor_system_config caf_cfg;
  std::unique_ptr<sla_clock> timers;
  std::unique_ptr<router_stats> stats;
  std::unique_ptr<kpi_board> kpis;
  std::unique_ptr<rollout_board> rollout;
  session_broker broker;
  caf::actor retention;
  caf::actor rollout_ticker;
  std::unique_ptr<caf::actor_system> system;
  router_context ctx;
  /// Held shared by every dispatch and exclusively by stop(), so that no conversation actor is
  /// spawned while the actors are being stopped.
  std::shared_mutex dispatching;
  bool stopped = false;  ///< Guarded by `dispatching`.
};

router::router(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

router::~router() {
  stop();
}

std::unique_ptr<router> router::start(router_options options) {
  auto state = std::make_unique<impl>(std::move(options));
  state->system = std::make_unique<caf::actor_system>(state->caf_cfg);
  router_context& ctx = state->ctx;
  state->timers = std::make_unique<sla_clock>(ctx.clock, fire_conversation_timer);
  ctx.timers = state->timers.get();

  state->stats = std::make_unique<router_stats>(*ctx.cfg);
  ctx.stats = state->stats.get();
  state->kpis = std::make_unique<kpi_board>(ctx.cfg->kpis.window, ctx.clock());
  ctx.kpis = state->kpis.get();
  state->rollout =
      std::make_unique<rollout_board>(ctx.cfg->rollout, ctx.journal, ctx.log, ctx.clock);
  state->rollout->restore();
  ctx.rollout = state->rollout.get();
  state->rollout_ticker = spawn_rollout_actor(*state->system, ctx.rollout);
  ctx.agent_pool = spawn_agent_pool_actor(*state->system, &ctx);
  ctx.bot_connector = spawn_bot_connector_actor(*state->system, &ctx);
  state->retention = spawn_retention_actor(*state->system, &ctx, &state->broker);
  for (const auto& tier : ctx.cfg->tiers) {
    ctx.tier_routers.emplace(tier.name, spawn_tier_router_actor(*state->system, &ctx, tier.name));
  }
  ctx.log_line(log_level::info, "actors.router",
               "started tiers=" + std::to_string(ctx.tier_routers.size())
                   + " policy=" + ctx.cfg->runtime.policy
                   + " threads=" + std::to_string(ctx.cfg->runtime.scheduler_threads));
  std::unique_ptr<router> instance(new router(std::move(state)));
  // Set before the first event is submitted; conversation actors read it only then.
  router* raw = instance.get();
  instance->impl_->ctx.redispatch = [raw](ingress_envelope envelope) {
    raw->dispatch(std::move(envelope));
  };
  return instance;
}

result<recovery_report> router::recover() {
  router_context& ctx = impl_->ctx;
  auto report = actors::recover(*impl_->system, ctx, impl_->broker);
  if (!report) {
    ctx.log_line(log_level::error, "actors.router",
                 "recovery_failed error=" + report.err().message);
    return report;
  }
  ctx.log_line(log_level::info, "actors.router",
               "recovered conversations=" + std::to_string(report->restored) + " queued="
                   + std::to_string(report->queued) + " agents=" + std::to_string(report->agents)
                   + " finished_left_alone=" + std::to_string(report->finished)
                   + " unreadable=" + std::to_string(report->unreadable)
                   + " records=" + std::to_string(report->records)
                   + " from_snapshots=" + std::to_string(report->from_snapshots)
                   + " snapshots_saved=" + std::to_string(report->snapshots_saved)
                   + " overdue_deadlines=" + std::to_string(report->overdue_deadlines)
                   + " took_ms=" + std::to_string(report->took.count()));
  return report;
}

void router::submit(ingress_event event, ack_callback done) {
  router_context& ctx = impl_->ctx;
  done = [stats = impl_->stats.get(), type = event.type, done = std::move(done)](ack answer) {
    stats->count_ingress(type, static_cast<std::size_t>(answer.status));
    done(std::move(answer));
  };
  if (!event.tier.empty() && ctx.cfg->find_tier(event.tier) == nullptr) {
    done(ack::rejected(errc::bad_value, "unknown tier \"" + event.tier + "\""));
    return;
  }

  // The event travels in a shared slot so that a deferred claim can still dispatch it. Its
  // promise gives the claim back if the event is lost unanswered (its actor failed).
  ack_promise promise(std::move(done),
                      [journal = ctx.journal, id = event.id] { journal->release(id); });
  auto pending = std::make_shared<ingress_envelope>(
      ingress_envelope{std::move(event), std::move(promise), true, {}});
  const auto claim = ctx.journal->claim(pending->event.id, [this, pending](bool written) {
    if (written) {
      pending->done(ack::duplicate());
    } else {
      dispatch(std::move(*pending));
    }
  });
  if (claim == persist::dedupe_claim::duplicate) {
    pending->done(ack::duplicate());
  } else if (claim == persist::dedupe_claim::fresh) {
    dispatch(std::move(*pending));
  }
}

void router::dispatch(ingress_envelope envelope) {
  router_context& ctx = impl_->ctx;
  ingress_event& event = envelope.event;
  std::shared_lock<std::shared_mutex> guard(impl_->dispatching);
  if (impl_->stopped) {
    ctx.journal->release(event.id);
    envelope.done(ack::rejected(errc::unavailable, "the router is shutting down"));
    return;
  }

  if (event.type == event_type::delivery_ack) {
    // The network layer stops re-sending once this ack is journaled. It goes into the
    // conversation's journal (the delivery id names it), so that recovery knows which of
    // its deliveries are still unacknowledged and sends them again.
    persist::journal_record record;
    if (const auto conv = std::string(conversation_of_delivery(event.delivery));
        !conv.empty() && ctx.directory.find(conv)) {
      record.conv = conv;  // Only under a live conversation: a made-up id journals nothing.
    }
    record.dedupe_id = event.id;
    record.payload = journal_event(event, ctx.clock());
    ctx.journal->append_record(std::move(record), [done = envelope.done](const result<void>& r) {
      if (r.ok()) {
        done(ack::accepted());
      } else {
        done(ack::rejected(errc::unavailable, "journal unavailable: " + r.err().message));
      }
    });
    return;
  }

  if (event.type == event_type::agent_status) {
    caf::anon_send(ctx.agent_pool, update_atom_v, std::move(envelope));
    return;
  }

  if (ctx.cfg->session_broker && is_conversation_event(event.type)) {
    event.conv = impl_->broker.resolve(
        event, [&ctx](const std::string& conv) { return ctx.directory.find(conv).has_value(); });
  }
  if (auto conversation_actor = ctx.directory.find(event.conv)) {
    caf::anon_send(*conversation_actor, conversation_msg{std::move(envelope)});
    return;
  }
  bool restore_failed = false;
  auto archived = restore_archived(event.conv, restore_failed);
  if (restore_failed) {
    ctx.journal->release(event.id);
    envelope.done(ack::rejected(errc::unavailable,
                                "the history of conversation " + event.conv + " cannot be read"));
    return;
  }
  if (archived) {
    if (event.type == event_type::customer_message) {
      // After the resume window this message starts a new episode: the routing rules
      // choose its skills again (its tier stays the conversation's).
      event.skills = route_new_conversation(event, *ctx.cfg).skills;
    }
    caf::anon_send(*archived, conversation_msg{std::move(envelope)});
    return;
  }
  if (event.type != event_type::customer_message) {
    ctx.journal->release(event.id);
    envelope.done(ack::rejected(errc::unknown_conversation,
                                "conversation " + event.conv + " does not exist"));
    return;
  }

  // The actor is spawned and registered here, on the sender's thread, so that the next
  // frame of the same connection (a csat, a leave) already finds it and queues behind this
  // one in its mailbox.
  routing_decision decision = route_new_conversation(event, *ctx.cfg);
  envelope.tier = std::move(decision.tier);
  // The cohort is chosen once, by the customer (the conversation when there is none), and
  // journaled with the event, so that a rebuild opens it the same way.
  event.control_cohort =
      ctx.rollout->cohort_for(event.customer.empty() ? event.conv : event.customer)
      == cohort::control;
  // Journaled with the event, so that a rebuild requires the same skills whatever the
  // configuration says by then.
  event.skills = std::move(decision.skills);
  auto tier_router = ctx.tier_routers.find(envelope.tier);
  // Validation makes every routing rule and the default name a configured tier.
  assert(tier_router != ctx.tier_routers.end());
  caf::actor spawned = spawn_conversation_actor(*impl_->system, &ctx, event.conv);
  caf::actor target = ctx.directory.insert(event.conv, spawned);
  if (target == spawned) {
    caf::anon_send(tier_router->second, supervise_atom_v, spawned, event.conv);
  } else {
    // Another thread opened the same conversation first.
    caf::anon_send_exit(spawned, caf::exit_reason::user_shutdown);
  }
  caf::anon_send(target, conversation_msg{std::move(envelope)});
}

void router::stop() {
  if (!impl_) {
    return;
  }
  {
    std::unique_lock<std::shared_mutex> guard(impl_->dispatching);
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
  }
  router_context& ctx = impl_->ctx;
  impl_->timers->stop();
  // Conversation actors first, so none sends to the pool or bot connector after they stop.
  for (const auto& [tier, tier_router] : ctx.tier_routers) {
    caf::anon_send_exit(tier_router, caf::exit_reason::user_shutdown);
  }
  const auto stop_actor = [](const caf::actor& conversation_actor) {
    caf::anon_send_exit(conversation_actor, caf::exit_reason::user_shutdown);
  };
  ctx.directory.for_each(stop_actor);
  ctx.lingering.for_each(stop_actor);
  caf::anon_send_exit(ctx.agent_pool, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx.bot_connector, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->retention, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(impl_->rollout_ticker, caf::exit_reason::user_shutdown);
  impl_->system->await_all_actors_done();
  ctx.tier_routers.clear();
  ctx.agent_pool = nullptr;
  ctx.bot_connector = nullptr;
  impl_->retention = nullptr;
  impl_->rollout_ticker = nullptr;
  ctx.directory.clear();
  ctx.lingering.clear();
  // The actor system itself lives on until the router is destroyed: journal callbacks still
  // queued may address actors that have stopped, which is harmless only while it exists.
  ctx.log_line(
      log_level::info, "actors.router",
      "stopped conversation_failures=" + std::to_string(impl_->stats->conversation_failures())
          + " conversation_restarts=" + std::to_string(impl_->stats->conversation_restarts())
          + " breaches: " + impl_->stats->summary()
          + " latency: " + impl_->stats->latency_summary());
}

std::optional<caf::actor> router::restore_archived(const std::string& conv, bool& failed) {
  failed = false;
  return impl_->ctx.directory.find_or_restore(conv, [&] {
    // TODO(actors): this reads the conversation's journal on the calling I/O thread; a
    // customer writing again after the resume window is rare enough today. Move it to a
    // detached actor if journal reads ever show in the ingress latency.
    auto restored = restore_archived_conversation(*impl_->system, impl_->ctx, conv);
    failed = !restored;
    return restored.value_or(caf::actor{});
  });
}

void router::query_conversation(const std::string& conv, conversation_answer answer) {
  router_context& ctx = impl_->ctx;
  std::shared_lock<std::shared_mutex> guard(impl_->dispatching);
  if (impl_->stopped) {
    answer(std::nullopt);
    return;
  }
  std::optional<caf::actor> target = ctx.directory.find(conv);
  bool failed = false;
  if (!target) {
    target = restore_archived(conv, failed);
  }
  if (!target) {
    answer(std::nullopt);
    return;
  }
  caf::anon_send(*target, conversation_msg{view_request{std::move(answer)}});
}

void router::query_timeline(
    const std::string& conv,
    std::function<void(std::optional<std::vector<timeline_entry>>)> answer) {
  router_context& ctx = impl_->ctx;
  // TODO(actors): this reads and replays the journal on the calling I/O thread, as the view
  // of an archived conversation does; a long history delays that thread's other requests.
  auto history = ctx.journal->history(conv);
  if (!history || history->empty()) {
    answer(std::nullopt);
    return;
  }
  std::vector<journaled_input> inputs;
  inputs.reserve(history->size());
  for (const auto& payload : *history) {
    auto input = decode_journal_payload(payload);
    if (!input) {
      ctx.log_line(log_level::warn, "actors.router",
                   "timeline_record_unreadable conv=" + conv + " error=" + input.err().message);
      continue;
    }
    inputs.push_back(std::move(*input));
  }
  answer(conversation_timeline(conv, inputs, *ctx.cfg));
}

void router::query_agents(agents_answer answer) {
  caf::anon_send(impl_->ctx.agent_pool, view_atom_v, pool_view_request{std::move(answer), {}});
}

void router::query_queues(queues_answer answer) {
  caf::anon_send(impl_->ctx.agent_pool, view_atom_v, pool_view_request{{}, std::move(answer)});
}

void router::reload(std::shared_ptr<const config> next) {
  impl_->rollout->reconfigure(next->rollout);
  impl_->ctx.cfg.replace(std::move(next));
  caf::anon_send(impl_->ctx.agent_pool, reload_atom_v);
}

void router::query_rollout(std::function<void(std::string)> answer) {
  answer(impl_->rollout->status());
}

void router::control_rollout(const std::string& action, const std::string& argument,
                             const std::string& by,
                             std::function<void(result<std::string>)> answer) {
  rollout_board& rollout = *impl_->rollout;
  if (action == "pause") {
    answer(rollout.pause(by, argument));
  } else if (action == "resume") {
    answer(rollout.resume(by));
  } else if (action == "stage") {
    answer(rollout.set_stage(argument, by));
  } else {
    answer(error{errc::bad_value, "unknown rollout action \"" + action + "\""});
  }
}

void router::query_kpis(std::function<void(kpi_report)> answer) {
  const time_point now = impl_->ctx.clock();
  answer({impl_->kpis->window(), impl_->kpis->observed(now), now, impl_->kpis->by_tier(now)});
}

void router::query_metrics(std::function<void(std::string)> answer) {
  router_context& ctx = impl_->ctx;
  prometheus_text out;
  const router_stats& stats = *impl_->stats;

  out.family("blendroute_ingress_events_total", "counter",
             "Ingress events answered, by type and ack status.");
  static constexpr std::array<std::string_view, 3> statuses = {"ok", "duplicate", "rejected"};
  for (std::size_t t = 0; t < event_type_count; ++t) {
    const auto type = static_cast<event_type>(t);
    for (std::size_t s = 0; s < statuses.size(); ++s) {
      out.sample("blendroute_ingress_events_total", {{"type", name(type)}, {"status", statuses[s]}},
                 static_cast<double>(stats.ingress(type, s)));
    }
  }
  out.family("blendroute_sla_breaches_total", "counter",
             "SLA breaches (each deadline once, whatever its escalation steps), by tier and SLA.");
  for (const auto& tier : stats.tiers()) {
    for (auto sla : {sla_kind::bot_attempt, sla_kind::bot_max_turns, sla_kind::human_response,
                     sla_kind::offer_accept}) {
      out.sample("blendroute_sla_breaches_total", {{"tier", tier}, {"sla", name(sla)}},
                 static_cast<double>(stats.breaches(tier, sla)));
    }
  }
  const auto [to_bot, to_offer] = stats.latencies();
  out.family("blendroute_message_to_bot_request_seconds", "histogram",
             "From receiving a customer message to sending its bot.request, in the router.");
  out.histogram("blendroute_message_to_bot_request_seconds", {}, to_bot);
  out.family("blendroute_escalation_to_offer_seconds", "histogram",
             "From queueing an escalated conversation to sending its agent.offer (queue wait "
             "included).");
  out.histogram("blendroute_escalation_to_offer_seconds", {}, to_offer);
  out.family("blendroute_open_conversations", "gauge",
             "Open conversations by state: with the bot, queued, offered to an agent, with an "
             "agent.");
  for (const auto state : {conversation_state::bot, conversation_state::queued,
                           conversation_state::offered, conversation_state::agent}) {
    out.sample("blendroute_open_conversations", {{"state", std::string(name(state))}},
               static_cast<double>(stats.open_conversations(state)));
  }
  out.family("blendroute_journal_commit_seconds", "histogram",
             "Time to write one group commit to the journal, its fsync included under "
             "journal.sync batch and always.");
  out.histogram("blendroute_journal_commit_seconds", {}, ctx.journal->commit_latency());
  out.family("blendroute_conversation_actors", "gauge",
             "Conversations with an actor: open ones, and finished ones inside their resume "
             "window.");
  out.sample("blendroute_conversation_actors", {}, static_cast<double>(ctx.directory.size()));
  out.family("blendroute_archived_conversations", "gauge",
             "Finished conversations kept in the journal without an actor, until retention.");
  out.sample("blendroute_archived_conversations", {},
             static_cast<double>(ctx.directory.archived()));
  out.family("blendroute_conversation_failures_total", "counter",
             "Conversation actors that failed (each is restarted from its journal).");
  out.sample("blendroute_conversation_failures_total", {},
             static_cast<double>(stats.conversation_failures()));
  const time_point now = ctx.clock();
  auto kpis = impl_->kpis->by_tier(now);
  kpi_summary overall;
  for (const auto& [tier, summary] : kpis) {
    overall.add(summary);
  }
  kpis.emplace("all", overall);
  auto ratio = [&](std::string_view metric, std::string_view help,
                   std::optional<double> (kpi_summary::*value)() const) {
    out.family(metric, "gauge", help);
    for (const auto& [tier, summary] : kpis) {
      if (auto v = (summary.*value)()) {
        out.sample(metric, {{"tier", tier}}, *v);
      }
    }
  };
  ratio("blendroute_kpi_containment_ratio",
        "Share of finished conversations the bot resolved without a human, over kpis.window.",
        &kpi_summary::containment);
  ratio("blendroute_kpi_escalation_ratio", "Share of finished conversations sent to a human.",
        &kpi_summary::escalation_rate);
  ratio("blendroute_kpi_first_contact_resolution_ratio",
        "Share of resolved conversations not reopened inside their resume window.",
        &kpi_summary::first_contact_resolution);
  ratio("blendroute_kpi_average_handle_seconds",
        "Mean time from opening to resolution of the conversations a human handled.",
        &kpi_summary::average_handle_seconds);
  ratio("blendroute_kpi_csat", "Mean customer.csat score (1-5).", &kpi_summary::csat);
  out.family("blendroute_kpi_transfers", "gauge", "Transfers of the window's conversations.");
  for (const auto& [tier, summary] : kpis) {
    out.sample("blendroute_kpi_transfers", {{"tier", tier}},
               static_cast<double>(summary.transfers));
  }
  out.family("blendroute_kpi_sla_attainment_ratio", "gauge",
             "Share of the times an SLA applied that it was met, by tier and SLA.");
  for (const auto& [tier, summary] : kpis) {
    for (auto sla : {sla_kind::bot_attempt, sla_kind::bot_max_turns, sla_kind::human_response,
                     sla_kind::offer_accept}) {
      if (auto v = summary.attainment(sla)) {
        out.sample("blendroute_kpi_sla_attainment_ratio", {{"tier", tier}, {"sla", name(sla)}}, *v);
      }
    }
  }
  const persist::journal_health health = ctx.journal->health();
  out.family("blendroute_journal_writable", "gauge",
             "1 while the journal writes, 0 while it rejects events after a failed write.");
  out.sample("blendroute_journal_writable", {}, health.writable ? 1 : 0);
  out.family("blendroute_journal_failed_writes_total", "counter", "Group commits that failed.");
  out.sample("blendroute_journal_failed_writes_total", {},
             static_cast<double>(health.failed_writes));

  // Queues come from the agent pool, on its own thread.
  auto text = std::make_shared<std::string>(out.text());
  query_queues([text, answer = std::move(answer)](std::vector<queue_view> queues) {
    prometheus_text tail;
    tail.family("blendroute_queue_depth", "gauge", "Conversations waiting for an agent, by tier.");
    for (const auto& q : queues) {
      tail.sample("blendroute_queue_depth", {{"tier", q.tier}}, static_cast<double>(q.depth));
    }
    tail.family("blendroute_queue_longest_wait_seconds", "gauge",
                "How long the oldest waiting conversation has waited, by tier.");
    for (const auto& q : queues) {
      tail.sample("blendroute_queue_longest_wait_seconds", {{"tier", q.tier}},
                  static_cast<double>(q.longest_wait.count()) / 1000.0);
    }
    answer(*text + tail.text());
  });
}

void router::ask_embedded_bot(const egress_frame& request) {
  // The bot connector tries the bot connections first; with none it is the embedded bot.
  caf::anon_send(impl_->ctx.bot_connector, ask_bot_atom_v, bot_request_msg{request});
}

void router::agent_connection(const std::string& agent, bool connected) {
  caf::anon_send(impl_->ctx.agent_pool, presence_atom_v, agent, connected);
}

std::string router::unready_reason() const {
  const persist::journal_health health = impl_->ctx.journal->health();
  return health.writable ? std::string{} : "the journal cannot write: " + health.last_error;
}

std::size_t router::conversation_actor_count() const {
  return impl_->ctx.directory.size();
}

}  // namespace blendroute::actors
