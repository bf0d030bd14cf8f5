// Timeline entries from a replay: inputs as they were journaled, effects as they followed.
#include "core/timeline.hpp"

#include <variant>

#include "core/conversation_rebuild.hpp"
#include "core/overloaded.hpp"

namespace blendroute {
namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

std::string ms(time_point at) {
  return std::to_string(unix_ms(at));
}

void add_if(fields& out, const char* key, const std::string& value) {
  if (!value.empty()) {
    out.emplace_back(key, value);
  }
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    out += (out.empty() ? "" : ",") + word;
  }
  return out;
}

timeline_entry describe_input(const journaled_input& input) {
  timeline_entry entry;
  entry.at = input.at;
  std::visit(
      overloaded{
          [&](const ingress_event& e) {
            entry.what = std::string(name(e.type));
            add_if(entry.fields, "id", e.id);
            add_if(entry.fields, "agent", e.agent);
            switch (e.type) {
              case event_type::customer_message:
                add_if(entry.fields, "routed_tier", input.routed_tier);
                add_if(entry.fields, "customer", e.customer);
                add_if(entry.fields, "channel", e.channel);
                add_if(entry.fields, "skills", joined(e.skills));
                if (e.control_cohort) {
                  entry.fields.emplace_back("cohort", "control");
                }
                break;
              case event_type::bot_reply:
                entry.fields.emplace_back("outcome", std::string(name(e.outcome)));
                add_if(entry.fields, "intent", e.intent);
                if (e.confidence) {
                  entry.fields.emplace_back("confidence", std::to_string(*e.confidence));
                }
                add_if(entry.fields, "skills", joined(e.skills));
                break;
              case event_type::agent_accept:
              case event_type::agent_decline:
                add_if(entry.fields, "offer", e.offer);
                break;
              case event_type::agent_transfer:
                add_if(entry.fields, "to_agent", e.to_agent);
                add_if(entry.fields, "to_skill", e.to_skill);
                break;
              case event_type::agent_passback:
                add_if(entry.fields, "intent", e.intent);
                add_if(entry.fields, "note", e.note);
                break;
              case event_type::agent_resolve:
                add_if(entry.fields, "disposition", e.disposition);
                break;
              case event_type::customer_csat:
                entry.fields.emplace_back("score", std::to_string(e.csat_score));
                break;
              case event_type::conversation_close:
                add_if(entry.fields, "reason", e.reason);
                break;
              case event_type::delivery_ack:
                add_if(entry.fields, "delivery", e.delivery);
                break;
              default:
                break;
            }
          },
          [&](const offer_input& offer) {
            entry.what = "offer_made";
            entry.fields = {{"agent", offer.agent}, {"offer", offer.offer}};
          },
          [&](const timer_input& timer) {
            entry.what = "sla_deadline";
            entry.fields = {{"sla", std::string(name(timer.sla))},
                            {"level", std::to_string(timer.level)},
                            {"deadline", ms(timer.deadline)}};
          },
          [&](const idle_input& idle) {
            entry.what = "inactivity";
            entry.fields = {{"stage", std::to_string(idle.stage)}, {"since", ms(idle.since)}};
          },
          [&](const queue_full_input&) { entry.what = "queue_full"; },
          [&](const offline_input& offline) {
            entry.what = "agent_offline";
            entry.fields = {{"agent", offline.agent},
                            {"offers_only", offline.offers_only ? "true" : "false"}};
          },
      },
      input.what);
  return entry;
}

/// The router's part in `e`, or an entry with an empty `what` for what the timeline leaves
/// out (messages carried between customer, bot and agent).
timeline_entry describe_effect(const effect& e, time_point at) {
  timeline_entry entry;
  entry.at = at;
  const egress_frame& f = e.frame;
  switch (e.what) {
    case effect::kind::to_supervisors:
      if (f.type == egress_type::conversation_state) {
        entry.what = "state";
        entry.fields = {{"state", f.state}, {"owner", f.owner}, {"reason", f.reason}};
      } else if (f.type == egress_type::sla_breach) {
        entry.what = "sla.breach";
        entry.fields = {{"sla", f.sla},
                        {"level", std::to_string(f.level)},
                        {"action", f.action},
                        {"deadline", ms(f.deadline)}};
      }
      break;
    case effect::kind::arm_timer:
      entry.what = "sla_timer";
      entry.fields = {{"sla", std::string(name(e.sla))},
                      {"level", std::to_string(e.level)},
                      {"deadline", ms(e.deadline)},
                      {"fires_at", ms(e.at)}};
      break;
    case effect::kind::arm_idle_timer:
      entry.what = "idle_timer";
      entry.fields = {{"stage", std::to_string(e.level)}, {"fires_at", ms(e.at)}};
      break;
    case effect::kind::to_bot:
      if (f.type == egress_type::bot_request) {
        entry.what = "bot.request";
        entry.fields = {{"turn", std::to_string(f.turn)}, {"delivery", f.delivery}};
      }
      break;
    case effect::kind::to_agent:
      if (f.type == egress_type::agent_offer) {
        entry.what = "agent.offer";
        entry.fields = {{"agent", e.agent}, {"offer", f.offer}, {"expires_at", ms(f.expires_at)}};
      } else if (f.type == egress_type::agent_assigned) {
        entry.what = "agent.assigned";
        entry.fields = {{"agent", e.agent}, {"offer", f.offer}};
      } else if (f.type == egress_type::agent_revoked) {
        entry.what = "agent.revoked";
        entry.fields = {{"agent", e.agent}, {"reason", f.reason}};
        add_if(entry.fields, "offer", f.offer);
      }
      break;
    case effect::kind::to_gateway:
      if (f.type == egress_type::customer_deliver && f.from == "router") {
        entry.what = "notice";  // An inactivity warning, an off-hours or queue-full notice.
        entry.fields = {{"delivery", f.delivery}};
      }
      break;
    case effect::kind::enqueue:
      entry.what = "enqueue";
      entry.fields = {{"tier", e.tier}, {"at_head", e.at_head ? "true" : "false"}};
      add_if(entry.fields, "skills", joined(e.skills));
      add_if(entry.fields, "excluded_agent", e.agent);
      add_if(entry.fields, "target_agent", e.target_agent);
      add_if(entry.fields, "preferred_agent", e.preferred_agent);
      break;
    case effect::kind::withdraw:
      entry.what = "withdraw";
      break;
    case effect::kind::release_agent:
      entry.what = "release_agent";
      entry.fields = {{"agent", e.agent}};
      break;
    case effect::kind::raise_priority:
      entry.what = "raise_priority";
      break;
    case effect::kind::relax_skills:
      entry.what = "relax_skills";
      break;
  }
  return entry;
}

}  // namespace

std::vector<timeline_entry> conversation_timeline(const std::string& conv,
                                                  const std::vector<journaled_input>& inputs,
                                                  const config& cfg) {
  std::vector<timeline_entry> out;
  conversation_rebuild rebuild(conv);
  std::size_t problems_seen = 0;
  rebuild.observe([&](const journaled_input& input, const std::vector<effect>& effects) {
    const int cause = static_cast<int>(out.size());
    out.push_back(describe_input(input));
    if (rebuild.problems().size() > problems_seen) {
      problems_seen = rebuild.problems().size();
      out.back().fields.emplace_back("refused", rebuild.problems().back());
    }
    for (const auto& e : effects) {
      timeline_entry entry = describe_effect(e, input.at);
      if (!entry.what.empty()) {
        entry.caused_by = cause;
        out.push_back(std::move(entry));
      }
    }
  });
  for (const auto& input : inputs) {
    rebuild.apply(input, cfg);
  }
  return out;
}

}  // namespace blendroute
