// JSON encoding of the router's outgoing frames (DESIGN.md §5 "Egress frames").
#include "net/frame_encoder.hpp"

#include "core/json_writer.hpp"

namespace blendroute::net {
namespace {

std::string_view status_name(actors::ack_status status) {
  switch (status) {
    case actors::ack_status::ok:
      return "ok";
    case actors::ack_status::duplicate:
      return "duplicate";
    case actors::ack_status::rejected:
      return "rejected";
  }
  return "rejected";
}

void encode_transcript(json_writer& json, const std::vector<transcript_line>& transcript) {
  json.begin_array("transcript");
  for (const auto& line : transcript) {
    json.begin_object()
        .field("from", line.speaker)
        .field("text", line.text)
        .field("at", unix_ms(line.at))
        .end_object();
  }
  json.end_array();
}

void encode_context(json_writer& json, const conversation_context& ctx) {
  json.begin_object("context");
  encode_transcript(json, ctx.transcript);
  json.begin_object("attrs");
  for (const auto& [key, value] : ctx.attrs) {
    json.field(key, value);
  }
  json.end_object();
  json.field("customer", ctx.customer).field("channel", ctx.channel);
  if (!ctx.intent.empty()) {
    json.field("intent", ctx.intent);
  }
  if (ctx.confidence >= 0) {
    json.field("confidence", ctx.confidence);
  }
  if (!ctx.slots_json.empty()) {
    json.raw_field("slots", ctx.slots_json);
  }
  json.begin_array("skills");
  for (const auto& skill : ctx.skills) {
    json.value(skill);
  }
  json.end_array();
  json.field("bot_turns", ctx.bot_turns).field("waited_ms", ctx.waited_ms);
  if (!ctx.escalation_reason.empty()) {
    json.field("escalation_reason", ctx.escalation_reason);
  }
  if (!ctx.passback_note.empty()) {
    json.field("note", ctx.passback_note);
  }
  json.end_object();
}

}  // namespace

void encode_ack(std::string& out, const std::string& id, const actors::ack& answer) {
  json_writer json(out);
  json.begin_object().field("type", "ack");
  if (id.empty()) {
    json.raw_field("id", "null");
  } else {
    json.field("id", id);
  }
  json.field("status", status_name(answer.status));
  if (answer.status == actors::ack_status::rejected) {
    json.begin_object("error")
        .field("code", wire_code(answer.code))
        .field("message", answer.message)
        .end_object();
  }
  json.end_object();
  out.push_back('\n');
}

void encode_welcome(std::string& out, role who, const std::string& session) {
  json_writer(out)
      .begin_object()
      .field("type", "welcome")
      .field("role", name(who))
      .field("session", session)
      .end_object();
  out.push_back('\n');
}

void encode_egress(std::string& out, const egress_frame& frame) {
  json_writer json(out);
  json.begin_object().field("type", name(frame.type));
  if (!frame.conv.empty()) {
    json.field("conv", frame.conv);
  }
  json.field("at", unix_ms(frame.at));
  if (!frame.delivery.empty()) {
    json.field("delivery", frame.delivery);
  }
  switch (frame.type) {
    case egress_type::bot_request:
      json.field("tier", frame.tier).field("turn", frame.turn).field("text", frame.text);
      break;
    case egress_type::agent_offer:
      json.field("offer", frame.offer)
          .field("tier", frame.tier)
          .field("expires_at", unix_ms(frame.expires_at));
      break;
    case egress_type::agent_assigned:
      json.field("offer", frame.offer);
      break;
    case egress_type::agent_revoked:
      if (!frame.offer.empty()) {
        json.field("offer", frame.offer);
      }
      json.field("reason", frame.reason);
      break;
    case egress_type::agent_message:
      json.field("id", frame.ingress_id).field("text", frame.text).field("channel", frame.channel);
      break;
    case egress_type::customer_deliver:
      json.field("from", frame.from);
      if (!frame.agent.empty()) {
        json.field("agent", frame.agent);
      }
      json.field("text", frame.text);
      break;
    case egress_type::conversation_state:
      json.field("state", frame.state)
          .field("owner", frame.owner)
          .field("tier", frame.tier)
          .field("reason", frame.reason);
      break;
    case egress_type::sla_breach:
      json.field("tier", frame.tier)
          .field("sla", frame.sla)
          .field("deadline", unix_ms(frame.deadline))
          .field("level", frame.level)
          .field("action", frame.action);
      break;
  }
  if (frame.context) {
    encode_context(json, *frame.context);
  }
  json.end_object();
  out.push_back('\n');
}

void encode_conversation_view(std::string& out, const actors::conversation_view& view) {
  json_writer json(out);
  json.begin_object()
      .field("conv", view.conv)
      .field("state", view.state)
      .field("tier", view.tier)
      .field("owner", view.owner)
      .field("customer", view.customer)
      .field("channel", view.channel)
      .field("bot_turns", view.bot_turns)
      .field("transfers", view.transfers)
      .field("opened_at", unix_ms(view.opened_at));
  encode_transcript(json, view.transcript);
  json.end_object();
  out.push_back('\n');
}

void encode_agent_views(std::string& out, const std::vector<actors::agent_view>& agents) {
  json_writer json(out);
  json.begin_object().begin_array("agents");
  for (const auto& agent : agents) {
    json.begin_object()
        .field("agent", agent.agent)
        .field("status", name(agent.presence))
        .field("capacity", agent.capacity)
        .begin_array("skills");
    for (const auto& skill : agent.skills) {
      json.value(skill);
    }
    json.end_array()
        .field("conversations", static_cast<std::int64_t>(agent.conversations))
        .field("connected", agent.connected)
        .end_object();
  }
  json.end_array().end_object();
  out.push_back('\n');
}

void encode_queue_views(std::string& out, const std::vector<actors::queue_view>& queues) {
  json_writer json(out);
  json.begin_object().begin_array("queues");
  for (const auto& queue : queues) {
    json.begin_object()
        .field("tier", queue.tier)
        .field("depth", static_cast<std::int64_t>(queue.depth))
        .field("longest_wait_ms", static_cast<std::int64_t>(queue.longest_wait.count()))
        .end_object();
  }
  json.end_array().end_object();
  out.push_back('\n');
}

namespace {

void optional_field(json_writer& json, std::string_view key, std::optional<double> value) {
  if (value) {
    json.field(key, *value);
  } else {
    json.raw_field(key, "null");
  }
}

void encode_kpi_summary(json_writer& json, const kpi_summary& s) {
  json.field("finished", static_cast<std::int64_t>(s.finished))
      .field("contained", static_cast<std::int64_t>(s.contained))
      .field("escalated", static_cast<std::int64_t>(s.escalated))
      .field("resolved", static_cast<std::int64_t>(s.resolved))
      .field("abandoned", static_cast<std::int64_t>(s.abandoned))
      .field("transfers", static_cast<std::int64_t>(s.transfers))
      .field("reopened", static_cast<std::int64_t>(s.reopened))
      .field("csat_count", static_cast<std::int64_t>(s.csat_count));
  optional_field(json, "containment", s.containment());
  optional_field(json, "escalation_rate", s.escalation_rate());
  optional_field(json, "first_contact_resolution", s.first_contact_resolution());
  optional_field(json, "average_handle_s", s.average_handle_seconds());
  optional_field(json, "csat", s.csat());
  json.begin_object("sla_attainment");
  for (auto sla : {sla_kind::bot_attempt, sla_kind::bot_max_turns, sla_kind::human_response,
                   sla_kind::offer_accept}) {
    optional_field(json, name(sla), s.attainment(sla));
  }
  json.end_object();
}

}  // namespace

void encode_kpi_report(std::string& out, const actors::kpi_report& report) {
  json_writer json(out);
  kpi_summary overall;
  for (const auto& [tier, summary] : report.tiers) {
    overall.add(summary);
  }
  json.begin_object()
      .field("window_s", static_cast<std::int64_t>(report.window.count() / 1000))
      .field("observed_s", static_cast<double>(report.observed.count()) / 1000.0)
      .field("at", unix_ms(report.at))
      .begin_object("overall");
  encode_kpi_summary(json, overall);
  json.end_object().begin_object("tiers");
  for (const auto& [tier, summary] : report.tiers) {
    json.begin_object(tier);
    encode_kpi_summary(json, summary);
    json.end_object();
  }
  json.end_object().end_object();
  out.push_back('\n');
}

void encode_timeline(std::string& out, const std::string& conv,
                     const std::vector<timeline_entry>& entries) {
  json_writer json(out);
  json.begin_object().field("conv", conv).begin_array("entries");
  for (const auto& entry : entries) {
    json.begin_object().field("at", unix_ms(entry.at)).field("what", entry.what);
    for (const auto& [key, value] : entry.fields) {
      json.field(key, value);
    }
    if (entry.caused_by >= 0) {
      json.field("caused_by", entry.caused_by);
    }
    json.end_object();
  }
  json.end_array().end_object();
  out.push_back('\n');
}

}  // namespace blendroute::net
