// Rebuilding a conversation from its journaled inputs.
#include "core/conversation_rebuild.hpp"

#include "core/overloaded.hpp"

namespace blendroute {

// TODO(persist): a rebuild applies every record under today's tier policy. A tier setting
// changed by a reload while conversations were open (bot_max_turns lowered, say) can make a
// rebuild take a turn the live conversation never took, and refuse the records after it
// (`journal verify` and recovery report them). Journal each reload's tier policies as a
// control record and apply each record under the policy in force at its time; worth doing
// before operators tune tiers live on a busy router.
void conversation_rebuild::apply(const journaled_input& input, const config& cfg) {
  const time_point now = input.at;
  ++inputs_;
  auto policy = [&]() -> const tier_policy& {
    return cfg.tier_or_default(conv_.tier());
  };
  auto refuse = [&](const std::string& what) {
    problems_.push_back("record " + std::to_string(inputs_) + ": " + what);
    return std::vector<effect>{};
  };
  std::vector<effect> effects = std::visit(
      overloaded{
          [&](const ingress_event& event) {
            if (event.type == event_type::delivery_ack) {
              // Journaled by the router beside the conversation's own inputs.
              std::erase_if(unacked_, [&](const auto& d) { return d.first == event.delivery; });
              return std::vector<effect>{};
            }
            // A message after the resume window applies to the old history, as live: the
            // passivated conversation is restored from its journal first (a follow_up
            // episode, its delivery ids counting on).
            if (auto allowed = conv_.check(event); !allowed) {
              return refuse(std::string(name(event.type)) + " " + event.id
                            + " refused: " + allowed.err().message);
            }
            if (event.type == event_type::bot_reply) {
              bot_request_.reset();
            }
            const std::string& tier = conv_.opened() ? conv_.tier() : input.routed_tier;
            return conv_.apply(event, cfg.tier_or_default(tier), now);
          },
          [&](const offer_input& offer) {
            if (conv_.state() != conversation_state::queued) {
              return refuse("offer " + offer.offer + " to a conversation in state "
                            + std::string(name(conv_.state())));
            }
            return conv_.offer_made(offer.agent, offer.offer, policy(), now);
          },
          [&](const timer_input& timer) {
            // The journal says the breach happened. An SLA whose duration was changed in the
            // configuration since arms its timer for another deadline here; the breach still
            // applies, to the timer armed now.
            const optional_time armed = conv_.armed_deadline(timer.sla);
            if (!armed) {
              return refuse(std::string(name(timer.sla)) + " breach of a timer not armed");
            }
            return conv_.fire_sla(timer.sla, *armed, timer.level, policy(), now);
          },
          [&](const idle_input& idle) {
            if (!conv_.idle_timer_is_current(idle.since)) {
              return refuse("inactivity of a timer not armed");
            }
            return conv_.fire_idle(idle.since, idle.stage, policy(), now);
          },
          [&](const queue_full_input&) {
            if (conv_.state() != conversation_state::queued) {
              return refuse("queue_full while not queued");
            }
            return conv_.queue_full(policy(), cfg, now);
          },
          [&](const offline_input& offline) {
            if (conv_.owner_agent() != offline.agent && conv_.offered_agent() != offline.agent) {
              return refuse("agent_offline of " + offline.agent + ", who did not hold it");
            }
            return conv_.agent_offline(offline.agent, policy(), now, offline.offers_only);
          },
      },
      input.what);
  if (observer_) {
    observer_(input, effects);
  }
  remember(effects, now);
}

void conversation_rebuild::remember(std::vector<effect>& effects, time_point at) {
  for (auto& e : effects) {
    switch (e.what) {
      case effect::kind::arm_timer:
        timers_[static_cast<std::size_t>(e.sla)] = std::move(e);
        break;
      case effect::kind::arm_idle_timer:
        idle_timer_ = std::move(e);
        break;
      case effect::kind::to_bot:
        if (e.frame.type == egress_type::bot_request) {
          bot_request_ = std::move(e);
        }
        break;
      case effect::kind::to_agent:
        if (e.frame.type == egress_type::agent_offer) {
          offer_ = std::move(e);
        } else if (e.frame.type == egress_type::agent_revoked) {
          // What the agent was sent about this conversation is moot now.
          std::erase_if(unacked_, [&](const auto& d) {
            return d.second.what == effect::kind::to_agent && d.second.agent == e.agent;
          });
        } else if (e.frame.type == egress_type::agent_message && !e.frame.delivery.empty()) {
          unacked_.emplace_back(e.frame.delivery, std::move(e));
        }
        break;
      case effect::kind::to_gateway:
        if (!e.frame.delivery.empty()) {
          unacked_.emplace_back(e.frame.delivery, std::move(e));
        }
        break;
      case effect::kind::enqueue:
        enqueue_ = std::move(e);
        enqueue_->waiting_since = at;
        break;
      default:
        break;
    }
  }
}

std::vector<effect> conversation_rebuild::pending() const {
  std::vector<effect> out;
  for (const auto& timer : timers_) {
    if (timer && conv_.timer_is_current(timer->sla, timer->deadline)) {
      out.push_back(*timer);
    }
  }
  if (idle_timer_ && conv_.idle_timer_is_current(idle_timer_->deadline)) {
    out.push_back(*idle_timer_);
  }
  switch (conv_.state()) {
    case conversation_state::bot:
      if (bot_request_) {
        out.push_back(*bot_request_);
      }
      break;
    case conversation_state::queued:
      if (enqueue_) {
        out.push_back(*enqueue_);
      }
      break;
    case conversation_state::offered:
      if (offer_ && offer_->frame.offer == conv_.offer_id()) {
        out.push_back(*offer_);
      }
      break;
    default:
      break;
  }
  for (const auto& [delivery, e] : unacked_) {
    out.push_back(e);
  }
  return out;
}

const std::string& conversation_rebuild::holding_agent() const {
  static const std::string nobody;
  switch (conv_.state()) {
    case conversation_state::agent:
      return conv_.owner_agent();
    case conversation_state::offered:
      return conv_.offered_agent();
    default:
      return nobody;
  }
}

}  // namespace blendroute
