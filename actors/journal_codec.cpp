// Encoding of journal payloads as JSON objects.
#include "actors/journal_codec.hpp"

#include "core/json_writer.hpp"

namespace blendroute::actors {

std::string journal_event(const ingress_event& event, time_point at) {
  std::string out;
  json_writer json(out);
  json.begin_object().field("kind", "event").field("at", unix_ms(at));
  json.field("type", name(event.type)).field("id", event.id);
  if (!event.text.empty()) {
    json.field("text", event.text);
  }
  if (!event.agent.empty()) {
    json.field("agent", event.agent);
  }
  switch (event.type) {
    case event_type::customer_message:
      json.field("customer", event.customer).field("channel", event.channel);
      if (!event.tier.empty()) {
        json.field("tier", event.tier);
      }
      if (!event.attrs.empty()) {
        json.begin_object("attrs");
        for (const auto& [key, value] : event.attrs) {
          json.field(key, value);
        }
        json.end_object();
      }
      break;
    case event_type::customer_csat:
      json.field("score", event.csat_score);
      break;
    case event_type::bot_reply:
      json.field("outcome", name(event.outcome));
      if (!event.intent.empty()) {
        json.field("intent", event.intent);
      }
      break;
    case event_type::agent_status:
      json.field("status", name(event.presence));
      if (event.capacity) {
        json.field("capacity", *event.capacity);
      }
      break;
    case event_type::agent_accept:
    case event_type::agent_decline:
      json.field("offer", event.offer);
      break;
    case event_type::agent_transfer:
      json.field("to_agent", event.to_agent).field("to_skill", event.to_skill);
      break;
    case event_type::agent_passback:
      json.field("note", event.note);
      break;
    case event_type::agent_resolve:
      json.field("disposition", event.disposition);
      break;
    case event_type::conversation_close:
      json.field("reason", event.reason);
      break;
    case event_type::delivery_ack:
      json.field("delivery", event.delivery);
      break;
    case event_type::customer_left:
    case event_type::agent_reply:
      break;
  }
  json.end_object();
  return out;
}

std::string journal_offer(const std::string& agent, const std::string& offer, time_point at) {
  std::string out;
  json_writer(out)
      .begin_object()
      .field("kind", "offer")
      .field("at", unix_ms(at))
      .field("agent", agent)
      .field("offer", offer)
      .end_object();
  return out;
}

std::string journal_breach(sla_kind sla, time_point deadline, int level, time_point at) {
  std::string out;
  json_writer(out)
      .begin_object()
      .field("kind", "sla_breach")
      .field("at", unix_ms(at))
      .field("sla", name(sla))
      .field("deadline", unix_ms(deadline))
      .field("level", level)
      .end_object();
  return out;
}

std::string journal_idle(time_point since, int stage, time_point at) {
  std::string out;
  json_writer(out)
      .begin_object()
      .field("kind", stage == 1 ? "idle_warning" : "idle_close")
      .field("at", unix_ms(at))
      .field("since", unix_ms(since))
      .end_object();
  return out;
}

std::string journal_queue_full(const std::string& tier, time_point at) {
  std::string out;
  json_writer(out)
      .begin_object()
      .field("kind", "queue_full")
      .field("at", unix_ms(at))
      .field("tier", tier)
      .end_object();
  return out;
}

std::string journal_agent_offline(const std::string& agent, time_point at) {
  std::string out;
  json_writer(out)
      .begin_object()
      .field("kind", "agent_offline")
      .field("at", unix_ms(at))
      .field("agent", agent)
      .end_object();
  return out;
}

}  // namespace blendroute::actors
