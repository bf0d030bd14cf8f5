// Transitions of the conversation state machine.
#include "core/conversation.hpp"

#include <algorithm>
#include <charconv>

namespace blendroute {
namespace {

std::size_t index(sla_kind sla) {
  return static_cast<std::size_t>(sla);
}

/// The escalation steps of `tier` for `sla`, in configured order.
std::vector<const escalation_step*> steps_for(const tier_policy& tier, sla_kind sla) {
  std::vector<const escalation_step*> steps;
  for (const auto& step : tier.escalation) {
    if (step.sla == sla) {
      steps.push_back(&step);
    }
  }
  return steps;
}

}  // namespace

std::string_view name(conversation_state s) {
  static constexpr std::array<std::string_view, 7> names = {
      "bot", "queued", "offered", "agent", "resolved", "abandoned", "closed"};
  return names[static_cast<std::size_t>(s)];
}

bool is_open(conversation_state s) {
  return s == conversation_state::bot || s == conversation_state::queued
         || s == conversation_state::offered || s == conversation_state::agent;
}

namespace {

const std::string& no_text() {
  static const std::string empty;
  return empty;
}

}  // namespace

conversation::findings& conversation::learnt() {
  if (!findings_) {
    findings_ = std::make_unique<findings>();
  }
  return *findings_;
}

conversation::human_leg& conversation::human() {
  if (!human_) {
    human_ = std::make_unique<human_leg>();
  }
  return *human_;
}

const std::string& conversation::owner_agent() const {
  return human_ ? human_->owner_agent : no_text();
}

const std::string& conversation::offered_agent() const {
  return human_ ? human_->offered_agent : no_text();
}

const std::string& conversation::offer_id() const {
  return human_ ? human_->offer_id : no_text();
}

const std::string& conversation::last_agent() const {
  return human_ ? human_->last_agent : no_text();
}

const std::string& conversation::intent() const {
  return findings_ ? findings_->intent : no_text();
}

const std::vector<std::string>& conversation::skills() const {
  static const std::vector<std::string> none;
  return findings_ ? findings_->skills : none;
}

std::string_view conversation_of_delivery(std::string_view delivery) {
  const auto hash = delivery.rfind('#');
  return hash == std::string_view::npos ? std::string_view{} : delivery.substr(0, hash);
}

std::string conversation::owner() const {
  switch (state_) {
    case conversation_state::bot:
      return "bot";
    case conversation_state::queued:
    case conversation_state::offered:
      return "queue:" + tier_;
    case conversation_state::agent:
      return "agent:" + owner_agent();
    case conversation_state::resolved:
    case conversation_state::abandoned:
    case conversation_state::closed:
      break;
  }
  return "none";
}

result<void> conversation::check(const ingress_event& event) const {
  // Only a customer message opens a conversation.
  if (!opened_ && event.type != event_type::customer_message) {
    return {errc::unknown_conversation, "conversation " + id_ + " does not exist"};
  }

  switch (event.type) {
    case event_type::bot_reply:
      if (state_ != conversation_state::bot) {
        return {errc::not_owner, "the bot does not own conversation " + id_};
      }
      // A reply may name the request it answers (the embedded bot's and the webhook's do):
      // a late answer to an earlier leg must not count as a turn of this one.
      if (!event.delivery.empty() && !awaits_bot_reply_to(event.delivery)) {
        return {errc::not_owner, "bot request " + event.delivery + " of conversation " + id_
                                     + " is no longer awaited"};
      }
      return {};
    case event_type::agent_accept:
    case event_type::agent_decline:
      if (state_ != conversation_state::offered || event.offer != offer_id()
          || event.agent != offered_agent()) {
        return {errc::stale_offer, "offer " + event.offer + " is not pending for " + event.agent};
      }
      return {};
    case event_type::agent_reply:
    case event_type::agent_transfer:
    case event_type::agent_passback:
    case event_type::agent_resolve:
      if (state_ != conversation_state::agent || event.agent != owner_agent()) {
        return {errc::not_owner, "agent " + event.agent + " does not own conversation " + id_};
      }
      if (event.type == event_type::agent_transfer && event.to_agent == event.agent) {
        return {errc::bad_value, "to_agent is the transferring agent"};
      }
      return {};
    default:
      return {};
  }
}

result<void> conversation::check_offer_in_time(const ingress_event& event,
                                               time_point arrived) const {
  if (event.type != event_type::agent_accept && event.type != event_type::agent_decline) {
    return {};
  }
  // The offer ends at its deadline, when the timer that re-offers it fires; an accept that
  // comes while that timer waits to be handled must not win the conversation.
  if (const auto& expires = deadlines_[index(sla_kind::offer_accept)];
      state_ == conversation_state::offered && expires && arrived >= *expires) {
    return {errc::stale_offer, "offer " + event.offer + " expired"};
  }
  return {};
}

std::vector<effect> conversation::apply(const ingress_event& event, const tier_policy& tier,
                                        time_point now) {
  std::vector<effect> out;
  // A message or a reply makes two to four effects of 720 bytes: growing the vector one
  // doubling at a time moved each of them again, string by string.
  out.reserve(4);
  switch (event.type) {
    case event_type::customer_message:
      on_customer_message(event, tier, now, out);
      break;
    case event_type::customer_csat:
      csat_ = event.csat_score;
      break;
    case event_type::customer_left:
      if (is_open(state_)) {
        release_owner("customer_left", now, out);
        finish(conversation_state::abandoned, "customer_left", now, out);
      }
      break;
    case event_type::conversation_close:
      if (state_ != conversation_state::closed) {
        release_owner("closed", now, out);
        finish(conversation_state::closed, event.reason.empty() ? "closed" : event.reason, now,
               out);
      }
      break;
    case event_type::bot_reply:
      on_bot_reply(event, tier, now, out);
      break;
    case event_type::agent_accept: {
      disarm(sla_kind::offer_accept);
      human_leg& leg = human();
      leg.owner_agent = std::move(leg.offered_agent);
      leg.offered_agent.clear();
      egress_frame assigned = frame(egress_type::agent_assigned, now);
      assigned.offer = leg.offer_id;
      out.push_back({effect::kind::to_agent, std::move(assigned), leg.owner_agent});
      set_state(conversation_state::agent, "accepted", now, out);
      break;
    }
    case event_type::agent_decline: {
      disarm(sla_kind::offer_accept);
      human_leg& leg = human();
      const std::string declined = std::move(leg.offered_agent);
      out.push_back({effect::kind::release_agent, {}, declined});
      leg.offered_agent.clear();
      leg.offer_id.clear();
      requeue(declined, "declined", now, out);
      break;
    }
    case event_type::agent_reply: {
      add_line("agent:" + event.agent, event.text, now);
      if (!agent_replied_) {
        agent_replied_ = true;
        disarm(sla_kind::human_response);
      }
      egress_frame deliver = frame(egress_type::customer_deliver, now);
      deliver.delivery = next_delivery();
      deliver.from = "agent";
      deliver.agent = event.agent;
      deliver.text = event.text;
      out.push_back({effect::kind::to_gateway, std::move(deliver)});
      await_customer(tier, now, out);
      break;
    }
    case event_type::agent_transfer: {
      ++transfers_;
      const std::string from_agent = owner_agent();
      release_owner("transfer", now, out);
      set_state(conversation_state::queued, "transfer", now, out);
      if (!event.to_skill.empty()) {
        learnt().skills = {event.to_skill};
      }
      effect request = enqueue_request(true, from_agent);
      request.target_agent = event.to_agent;
      out.push_back(std::move(request));
      restart_human_response(tier, now, out);
      break;
    }
    case event_type::agent_passback:
      human().passback_note = event.note;
      if (!event.intent.empty()) {
        learnt().intent = event.intent;
      }
      if (!event.skills.empty()) {
        // The skills of the agent's new intent, for a later escalation.
        learnt().skills = event.skills;
      }
      release_owner("passback", now, out);
      disarm(sla_kind::human_response);
      bot_turns_ = 0;
      set_state(conversation_state::bot, "passback", now, out);
      break;
    case event_type::agent_resolve:
      human().last_agent = owner_agent();
      release_owner("", now, out);
      finish(conversation_state::resolved,
             event.disposition.empty() ? "agent_resolved" : event.disposition, now, out);
      break;
    case event_type::agent_status:
    case event_type::delivery_ack:
      break;
  }
  return out;
}

conversation_outcome conversation::outcome() const {
  conversation_outcome out;
  out.resolved = state_ == conversation_state::resolved;
  out.abandoned = state_ == conversation_state::abandoned;
  out.escalated = ever_escalated_;
  out.first_contact = reopens_ == 0;
  out.transfers = transfers_;
  out.handle_time = finished_at_ - opened_at_;
  out.ended_at = finished_at_;
  return out;
}

void conversation::open(const ingress_event& event, const tier_policy& tier, time_point now) {
  opened_ = true;
  tier_ = tier.name;
  // A follow-up episode is the same customer on the same conversation: a message that does
  // not name them again keeps the ones the conversation already has.
  if (!event.customer.empty()) {
    customer_ = event.customer;
  }
  if (!event.channel.empty()) {
    channel_ = event.channel;
  }
  opened_at_ = now;
  bot_turns_ = 0;
  reopens_ = 0;
  transfers_ = 0;
  csat_ = 0;
  ever_escalated_ = false;
  if (episode_ == 0) {
    // The router chooses the cohort for a conversation's first message only; a customer
    // stays in it for the follow-ups (DESIGN.md §7).
    control_cohort_ = event.control_cohort;
  }
  agent_replied_ = false;
  overflowed_ = false;
  human_.reset();
  findings_.reset();
  if (!event.attrs.empty() || !event.skills.empty()) {
    learnt().attrs = event.attrs;
    learnt().skills = event.skills;  // From the routing rules.
  }
  deadlines_ = {};
}

void conversation::on_customer_message(const ingress_event& event, const tier_policy& tier,
                                       time_point now, std::vector<effect>& out) {
  bool opening = false;
  if (!opened_) {
    opening = true;
    open(event, tier, now);
    set_state(conversation_state::bot, "opened", now, out);
  } else if (state_ == conversation_state::resolved && now - resolved_at_ <= tier.resume_window) {
    // Inside the resume window the same conversation continues, and it no longer counts as
    // resolved on first contact.
    ++reopens_;
    bot_turns_ = 0;
    if (!last_agent().empty() && tier.return_to_agent.count() > 0) {
      // The customer picks up where the agent left off, with that agent if it is free soon.
      add_line("customer", event.text, now);
      escalate("returning_customer", tier, now, out, last_agent());
      return;
    }
    set_state(conversation_state::bot, "reopened", now, out);
  } else if (!is_open(state_)) {
    // After the window (or after an abandon or close) the customer starts a new episode of
    // the same conversation id, linked to the previous one by its episode number.
    ++episode_;
    opening = true;
    open(event, tier, now);
    set_state(conversation_state::bot, "follow_up", now, out);
  }

  add_line("customer", event.text, now);
  idle_deadline_.reset();
  if (opening && control_cohort_) {
    // The rollout's control cohort: humans only, so that the blended cohort has something
    // to be measured against.
    escalate("rollout_control", tier, now, out);
    return;
  }
  if (opening && !tier.open_at(now) && tier.hours->off_hours == off_hours_path::queue) {
    // Closed, and this tier queues new conversations for the next opening.
    escalate("off_hours", tier, now, out);
    return;
  }
  switch (state_) {
    case conversation_state::bot: {
      if (!deadlines_[index(sla_kind::bot_attempt)]) {
        const time_point deadline = tier.deadline_after(now, tier.bot_attempt);
        arm(sla_kind::bot_attempt, deadline, 1, deadline, out);
      }
      egress_frame request = frame(egress_type::bot_request, now);
      request.delivery = next_delivery();
      request.turn = bot_turns_ + 1;
      request.text = event.text;
      out.push_back({effect::kind::to_bot, std::move(request)});
      break;
    }
    case conversation_state::agent: {
      egress_frame message = frame(egress_type::agent_message, now);
      message.delivery = next_delivery();
      message.ingress_id = event.id;
      message.text = event.text;
      message.channel = channel_;
      out.push_back({effect::kind::to_agent, std::move(message), owner_agent()});
      break;
    }
    default:
      // Queued or offered: the message waits in the transcript that the offer carries.
      break;
  }
}

void conversation::on_bot_reply(const ingress_event& event, const tier_policy& tier, time_point now,
                                std::vector<effect>& out) {
  ++bot_turns_;
  disarm(sla_kind::bot_attempt);
  if (!event.intent.empty()) {
    learnt().intent = event.intent;
  }
  if (event.confidence) {
    learnt().confidence = *event.confidence;
  }
  if (!event.slots_json.empty()) {
    learnt().slots_json = event.slots_json;
  }
  if (!event.skills.empty()) {
    learnt().skills = event.skills;
  }
  add_line("bot", event.text, now);

  if (!event.text.empty()) {
    egress_frame deliver = frame(egress_type::customer_deliver, now);
    deliver.delivery = next_delivery();
    deliver.from = "bot";
    deliver.text = event.text;
    out.push_back({effect::kind::to_gateway, std::move(deliver)});
  }

  if (event.outcome == bot_outcome::resolved) {
    finish(conversation_state::resolved, "bot_resolved", now, out);
    return;
  }
  if (event.outcome == bot_outcome::handoff) {
    escalate("bot_handoff", tier, now, out);
    return;
  }
  if (bot_turns_ >= tier.bot_max_turns) {
    // The Nth reply did not resolve: a breach of bot_max_turns, and always an escalation,
    // whatever the matrix adds to it.
    auto steps = steps_for(tier, sla_kind::bot_max_turns);
    const auto action = steps.empty() ? escalation_action::escalate : steps.front()->action;
    breach(sla_kind::bot_max_turns, now, 1, action, now, out);
    escalate("bot_max_turns", tier, now, out);
    return;
  }
  await_customer(tier, now, out);
}

void conversation::escalate(const std::string& reason, const tier_policy& tier, time_point now,
                            std::vector<effect>& out, const std::string& preferred_agent) {
  if (!tier.open_at(now) && tier.hours->off_hours == off_hours_path::bot) {
    // Nobody is on duty and this tier keeps conversations with the bot meanwhile.
    disarm(sla_kind::bot_attempt);
    bot_turns_ = 0;
    set_state(conversation_state::bot, "off_hours", now, out);
    notify_customer(tier.hours->off_hours_text, now, out);
    await_customer(tier, now, out);
    return;
  }
  if (!tier.open_at(now)) {
    notify_customer(tier.hours->off_hours_text, now, out);
  }

  disarm(sla_kind::bot_attempt);
  idle_deadline_.reset();  // Now the customer waits for us, not the other way round.
  human().escalation_reason = reason;
  human().escalated_at = now;
  ever_escalated_ = true;
  agent_replied_ = false;
  set_state(conversation_state::queued, reason, now, out);
  effect request = enqueue_request(false, {});
  if (!preferred_agent.empty()) {
    request.preferred_agent = preferred_agent;
    request.at = now + tier.return_to_agent;
  }
  out.push_back(std::move(request));
  const time_point deadline = tier.deadline_after(now, tier.human_response);
  arm(sla_kind::human_response, deadline, 1, deadline, out);
}

void conversation::requeue(const std::string& excluded_agent, const std::string& reason,
                           time_point now, std::vector<effect>& out) {
  set_state(conversation_state::queued, reason, now, out);
  out.push_back(enqueue_request(true, excluded_agent));
}

effect conversation::enqueue_request(bool at_head, const std::string& excluded_agent) const {
  effect request{effect::kind::enqueue};
  request.tier = tier_;
  request.skills = skills();
  request.at_head = at_head;
  request.agent = excluded_agent;
  return request;
}

void conversation::release_owner(const std::string& revoke_reason, time_point now,
                                 std::vector<effect>& out) {
  if (state_ == conversation_state::queued) {
    out.emplace_back(effect::kind::withdraw);
  }
  if (state_ == conversation_state::offered) {
    disarm(sla_kind::offer_accept);
    egress_frame revoked = frame(egress_type::agent_revoked, now);
    human_leg& leg = human();
    revoked.offer = leg.offer_id;
    revoked.reason = revoke_reason;
    out.push_back({effect::kind::to_agent, std::move(revoked), leg.offered_agent});
    out.push_back({effect::kind::release_agent, {}, leg.offered_agent});
    leg.offered_agent.clear();
    leg.offer_id.clear();
  }
  if (state_ == conversation_state::agent) {
    if (!revoke_reason.empty()) {
      egress_frame revoked = frame(egress_type::agent_revoked, now);
      revoked.reason = revoke_reason;
      out.push_back({effect::kind::to_agent, std::move(revoked), owner_agent()});
    }
    out.push_back({effect::kind::release_agent, {}, owner_agent()});
    human().owner_agent.clear();
  }
}

void conversation::finish(conversation_state final_state, const std::string& reason, time_point now,
                          std::vector<effect>& out) {
  deadlines_ = {};
  idle_deadline_.reset();
  finished_at_ = now;
  if (final_state == conversation_state::resolved) {
    resolved_at_ = now;
  }
  set_state(final_state, reason, now, out);
}

std::vector<effect> conversation::offer_made(const std::string& agent, const std::string& offer,
                                             const tier_policy& tier, time_point now) {
  std::vector<effect> out;
  if (state_ != conversation_state::queued) {
    // The customer left or the conversation moved on while the pool was choosing.
    out.push_back({effect::kind::release_agent, {}, agent});
    return out;
  }

  human().offered_agent = agent;
  human().offer_id = offer;
  const time_point expires = tier.deadline_after(now, tier.offer_accept);
  egress_frame offer_frame = frame(egress_type::agent_offer, now);
  offer_frame.delivery = next_delivery();
  offer_frame.offer = offer;
  offer_frame.expires_at = expires;
  out.push_back({effect::kind::to_agent, std::move(offer_frame), agent});
  set_state(conversation_state::offered, "offered", now, out);
  arm(sla_kind::offer_accept, expires, 1, expires, out);
  return out;
}

bool conversation::timer_is_current(sla_kind sla, time_point deadline) const {
  const auto& armed = deadlines_[index(sla)];
  return armed && *armed == deadline;
}

std::vector<effect> conversation::fire_sla(sla_kind sla, time_point deadline, int level,
                                           const tier_policy& tier, time_point now) {
  std::vector<effect> out;
  if (!timer_is_current(sla, deadline)) {
    return out;
  }

  auto steps = steps_for(tier, sla);
  const std::size_t step_index = static_cast<std::size_t>(level - 1);
  const escalation_step* step = step_index < steps.size() ? steps[step_index] : nullptr;
  // The deadline itself always ends what it times (DESIGN.md §2): an expired offer goes to
  // the next agent and a bot that did not answer in time gives way to a human, whatever the
  // matrix says. The matrix adds to that; it cannot leave a conversation stuck.
  std::optional<escalation_action> intrinsic;
  if (level == 1 && sla == sla_kind::offer_accept) {
    intrinsic = escalation_action::reoffer;
  } else if (level == 1 && sla == sla_kind::bot_attempt) {
    intrinsic = escalation_action::escalate;
  }
  const escalation_action announced =
      step != nullptr ? step->action : intrinsic.value_or(escalation_action::notify);
  breach(sla, deadline, level, announced, now, out);

  if (intrinsic) {
    run_step(*intrinsic, sla, nullptr, now, tier, out);
  }
  if (step != nullptr && step->action != intrinsic) {
    run_step(step->action, sla, step, now, tier, out);
  }

  // The next step of the matrix, if any, runs later against the same deadline, unless the
  // condition has cleared by then (the deadline is disarmed).
  if (timer_is_current(sla, deadline) && step_index + 1 < steps.size()) {
    arm(sla, deadline, level + 1, tier.deadline_after(deadline, steps[step_index + 1]->after), out);
  } else if (timer_is_current(sla, deadline)) {
    // The last step ran; keep the breach from being announced again.
    disarm(sla);
  }
  return out;
}

void conversation::run_step(escalation_action action, sla_kind sla, const escalation_step* step,
                            time_point now, const tier_policy& tier, std::vector<effect>& out) {
  switch (action) {
    case escalation_action::escalate:
      if (state_ == conversation_state::bot) {
        escalate(sla == sla_kind::bot_attempt ? "bot_attempt_breach" : "sla_breach", tier, now,
                 out);
      }
      break;
    case escalation_action::reoffer:
      if (state_ == conversation_state::offered) {
        const std::string expired_agent = offered_agent();
        release_owner("expired", now, out);
        requeue(expired_agent, "offer_expired", now, out);
      }
      break;
    case escalation_action::overflow:
      if (state_ == conversation_state::queued && step != nullptr) {
        out.emplace_back(effect::kind::withdraw);
        tier_ = step->target;
        out.push_back(enqueue_request(true, {}));
        set_state(conversation_state::queued, "overflow", now, out);
      }
      break;
    case escalation_action::priority:
      if (state_ == conversation_state::queued) {
        out.emplace_back(effect::kind::raise_priority);
      }
      break;
    case escalation_action::relax:
      if (state_ == conversation_state::queued && !skills().empty()) {
        learnt().skills.pop_back();
        out.emplace_back(effect::kind::relax_skills);
      }
      break;
    case escalation_action::notify:
      break;
  }
}

std::vector<effect> conversation::queue_full(const tier_policy& tier, const config& cfg,
                                             time_point now) {
  std::vector<effect> out;
  if (state_ != conversation_state::queued) {
    return out;
  }

  const tier_policy* target = cfg.find_tier(tier.queue_full_target);
  if (tier.when_queue_full == queue_full_action::overflow && target != nullptr && !overflowed_) {
    overflowed_ = true;
    tier_ = target->name;
    set_state(conversation_state::queued, "queue_full_overflow", now, out);
    out.push_back(enqueue_request(false, {}));
    return out;
  }

  // Nobody can take it: the bot keeps it, the customer is told, and the human-response
  // clock stops, since no human was promised.
  disarm(sla_kind::human_response);
  bot_turns_ = 0;
  set_state(conversation_state::bot, "queue_full", now, out);
  notify_customer(tier.queue_full_text, now, out);
  await_customer(tier, now, out);
  return out;
}

std::vector<effect> conversation::agent_offline(const std::string& agent, const tier_policy& tier,
                                                time_point now, bool offers_only) {
  std::vector<effect> out;
  if (state_ == conversation_state::offered && offered_agent() == agent) {
    release_owner("offline", now, out);
    requeue(agent, offers_only ? "agent_disconnected" : "agent_offline", now, out);
  } else if (!offers_only && state_ == conversation_state::agent && owner_agent() == agent) {
    release_owner("offline", now, out);
    requeue("", "agent_offline", now, out);
    restart_human_response(tier, now, out);
  }
  return out;
}

void conversation::restart_human_response(const tier_policy& tier, time_point now,
                                          std::vector<effect>& out) {
  if (!agent_replied_) {
    return;  // The first human response is still awaited; its deadline stands.
  }
  agent_replied_ = false;
  human().escalated_at = now;
  const time_point deadline = tier.deadline_after(now, tier.human_response);
  arm(sla_kind::human_response, deadline, 1, deadline, out);
}

conversation_context conversation::context(time_point now, int lines) const {
  conversation_context ctx;
  ctx.transcript = transcript(static_cast<std::size_t>(std::max(lines, 0)));
  ctx.customer = customer_;
  ctx.channel = channel_;
  if (findings_) {
    ctx.attrs = findings_->attrs;
    ctx.intent = findings_->intent;
    ctx.confidence = findings_->confidence;
    ctx.slots_json = findings_->slots_json;
    ctx.skills = findings_->skills;
  }
  ctx.bot_turns = bot_turns_;
  if (human_) {
    if (ever_escalated_ && state_ != conversation_state::bot) {
      ctx.waited_ms = (now - human_->escalated_at).count();
    }
    ctx.escalation_reason = human_->escalation_reason;
    ctx.passback_note = human_->passback_note;
  }
  return ctx;
}

void conversation::set_state(conversation_state next, const std::string& reason, time_point now,
                             std::vector<effect>& out) {
  if (next != state_) {
    idle_deadline_.reset();
    if (next == conversation_state::bot) {
      bot_leg_from_ = deliveries_;
    }
  }
  state_ = next;
  egress_frame announce = frame(egress_type::conversation_state, now);
  announce.state = std::string(name(next));
  announce.owner = owner();
  announce.reason = reason;
  out.push_back({effect::kind::to_supervisors, std::move(announce)});
}

void conversation::arm(sla_kind sla, time_point deadline, int level, time_point at,
                       std::vector<effect>& out) {
  deadlines_[index(sla)] = deadline;
  effect timer{effect::kind::arm_timer};
  timer.sla = sla;
  timer.deadline = deadline;
  timer.at = at;
  timer.level = level;
  out.push_back(std::move(timer));
}

void conversation::disarm(sla_kind sla) {
  deadlines_[index(sla)].reset();
}

void conversation::notify_customer(const std::string& text, time_point now,
                                   std::vector<effect>& out) {
  egress_frame notice = frame(egress_type::customer_deliver, now);
  notice.delivery = next_delivery();
  notice.from = "router";
  notice.text = text;
  out.push_back({effect::kind::to_gateway, std::move(notice)});
}

void conversation::await_customer(const tier_policy& tier, time_point now,
                                  std::vector<effect>& out) {
  if (state_ != conversation_state::bot && state_ != conversation_state::agent) {
    return;
  }
  const bool warns = tier.idle_warning.count() > 0;
  if (!warns && tier.idle_close.count() <= 0) {
    return;
  }
  // The deadline names the silence (it starts now); each stage fires relative to it.
  idle_deadline_ = now;
  effect timer{effect::kind::arm_idle_timer};
  timer.deadline = now;
  timer.level = warns ? 1 : 2;
  timer.at = now + (warns ? tier.idle_warning : tier.idle_close);
  out.push_back(std::move(timer));
}

std::vector<effect> conversation::fire_idle(time_point deadline, int stage, const tier_policy& tier,
                                            time_point now) {
  std::vector<effect> out;
  if (!idle_timer_is_current(deadline)) {
    return out;
  }

  if (stage == 1) {
    notify_customer(tier.idle_warning_text, now, out);
    if (tier.idle_close.count() > 0) {
      effect timer{effect::kind::arm_idle_timer};
      timer.deadline = deadline;
      timer.level = 2;
      timer.at = deadline + tier.idle_close;
      out.push_back(std::move(timer));
    } else {
      idle_deadline_.reset();
    }
    return out;
  }

  release_owner("customer_left", now, out);
  finish(conversation_state::abandoned, "inactive", now, out);
  return out;
}

void conversation::add_line(std::string speaker, std::string text, time_point now) {
  transcript_line line{std::move(speaker), std::move(text), now};
  if (transcript_.size() < max_transcript_lines) {
    transcript_.push_back(std::move(line));
    return;
  }
  transcript_[transcript_oldest_] = std::move(line);
  transcript_oldest_ = static_cast<std::uint8_t>((transcript_oldest_ + 1) % transcript_.size());
}

std::vector<transcript_line> conversation::transcript(std::size_t most) const {
  const std::size_t count = transcript_.size();
  const std::size_t keep = std::min(count, most);
  std::vector<transcript_line> lines;
  lines.reserve(keep);
  // The newest line sits just before the oldest (or last, while the transcript is not full).
  for (std::size_t i = count - keep; i < count; ++i) {
    lines.push_back(transcript_[(transcript_oldest_ + i) % count]);
  }
  return lines;
}

void conversation::breach(sla_kind sla, time_point deadline, int level, escalation_action action,
                          time_point now, std::vector<effect>& out) {
  egress_frame announce = frame(egress_type::sla_breach, now);
  announce.sla = std::string(name(sla));
  announce.deadline = deadline;
  announce.level = level;
  announce.action = std::string(name(action));
  out.push_back({effect::kind::to_supervisors, std::move(announce)});
}

std::string conversation::next_delivery() {
  // The episode's opening time makes ids unique across episodes, and across actors of the
  // same conversation id (a finished conversation's actor is passivated).
  return id_ + "#" + std::to_string(unix_ms(opened_at_)) + "." + std::to_string(++deliveries_);
}

bool conversation::awaits_bot_reply_to(std::string_view delivery) const {
  const std::string episode = id_ + "#" + std::to_string(unix_ms(opened_at_)) + ".";
  if (!delivery.starts_with(episode)) {
    return false;  // Another episode's, or not this conversation's at all.
  }
  delivery.remove_prefix(episode.size());
  std::uint64_t number = 0;
  const auto [end, failed] =
      std::from_chars(delivery.data(), delivery.data() + delivery.size(), number);
  if (failed != std::errc{} || end != delivery.data() + delivery.size()) {
    return false;
  }
  return number > bot_leg_from_ && number <= deliveries_;
}

egress_frame conversation::frame(egress_type type, time_point now) const {
  egress_frame f;
  f.type = type;
  f.conv = id_;
  f.at = now;
  f.tier = tier_;
  return f;
}

}  // namespace blendroute
