// Encoding of journal payloads as JSON objects.
#include "actors/journal_codec.hpp"

#include <simdjson.h>

#include "core/json_writer.hpp"

namespace blendroute::actors {
namespace {

/// Reads the fields of one journal payload; the first problem is kept and reported.
class payload_reader {
public:
  explicit payload_reader(simdjson::dom::object object) : object_(object) {}

  std::string text(const char* key, bool required = false) {
    std::string_view value;
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD && !required) {
      return {};
    }
    if (field.get_string().get(value) != simdjson::SUCCESS) {
      fail(key);
    }
    return std::string(value);
  }

  std::int64_t integer(const char* key) {
    std::int64_t value = 0;
    if (object_[key].get_int64().get(value) != simdjson::SUCCESS) {
      fail(key);
    }
    return value;
  }

  /// A boolean field; false when absent.
  bool flag(const char* key) {
    bool value = false;
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
      return false;
    }
    if (field.get_bool().get(value) != simdjson::SUCCESS) {
      fail(key);
    }
    return value;
  }

  std::optional<std::int64_t> optional_integer(const char* key) {
    if (object_[key].error() == simdjson::NO_SUCH_FIELD) {
      return std::nullopt;
    }
    return integer(key);
  }

  std::optional<double> optional_number(const char* key) {
    double value = 0;
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
      return std::nullopt;
    }
    if (field.get_double().get(value) != simdjson::SUCCESS) {
      fail(key);
    }
    return value;
  }

  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> values;
    simdjson::dom::array array;
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
      return values;
    }
    if (field.get_array().get(array) != simdjson::SUCCESS) {
      fail(key);
      return values;
    }
    for (auto element : array) {
      std::string_view value;
      if (element.get_string().get(value) != simdjson::SUCCESS) {
        fail(key);
        return values;
      }
      values.emplace_back(value);
    }
    return values;
  }

  std::vector<std::pair<std::string, std::string>> string_map(const char* key) {
    std::vector<std::pair<std::string, std::string>> values;
    simdjson::dom::object map;
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
      return values;
    }
    if (field.get_object().get(map) != simdjson::SUCCESS) {
      fail(key);
      return values;
    }
    for (auto [name, element] : map) {
      std::string_view value;
      if (element.get_string().get(value) != simdjson::SUCCESS) {
        fail(key);
        return values;
      }
      values.emplace_back(std::string(name), std::string(value));
    }
    return values;
  }

  /// The field as raw JSON text, or empty when absent.
  std::string raw(const char* key) {
    auto field = object_[key];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
      return {};
    }
    return simdjson::minify(field.value_unsafe());
  }

  void fail(std::string_view key) {
    if (problem_.empty()) {
      problem_ = "field \"" + std::string(key) + "\" is missing or has the wrong type";
    }
  }

  void fail_value(std::string_view key, std::string_view value) {
    if (problem_.empty()) {
      problem_ =
          "field \"" + std::string(key) + "\" has the unknown value \"" + std::string(value) + "\"";
    }
  }

  const std::string& problem() const { return problem_; }

private:
  simdjson::dom::object object_;
  std::string problem_;
};

ingress_event read_event(payload_reader& in) {
  ingress_event event;
  const std::string type = in.text("type", true);
  if (auto parsed = parse_event_type(type)) {
    event.type = *parsed;
  } else {
    in.fail_value("type", type);
  }
  event.id = in.text("id", true);
  event.text = in.text("text");
  event.agent = in.text("agent");
  event.skills = in.strings("skills");
  switch (event.type) {
    case event_type::customer_message:
      event.customer = in.text("customer", true);
      event.channel = in.text("channel", true);
      event.tier = in.text("tier");
      event.lang = in.text("lang");
      event.attrs = in.string_map("attrs");
      event.control_cohort = in.text("cohort") == "control";
      break;
    case event_type::customer_csat:
      event.csat_score = static_cast<int>(in.integer("score"));
      break;
    case event_type::bot_reply: {
      const std::string outcome = in.text("outcome", true);
      if (auto parsed = parse_bot_outcome(outcome)) {
        event.outcome = *parsed;
      } else {
        in.fail_value("outcome", outcome);
      }
      event.intent = in.text("intent");
      event.confidence = in.optional_number("confidence");
      event.slots_json = in.raw("slots");
      break;
    }
    case event_type::agent_status: {
      const std::string status = in.text("status", true);
      if (auto parsed = parse_agent_presence(status)) {
        event.presence = *parsed;
      } else {
        in.fail_value("status", status);
      }
      if (auto capacity = in.optional_integer("capacity")) {
        event.capacity = static_cast<int>(*capacity);
      }
      break;
    }
    case event_type::agent_accept:
    case event_type::agent_decline:
      event.offer = in.text("offer", true);
      break;
    case event_type::agent_transfer:
      event.to_agent = in.text("to_agent");
      event.to_skill = in.text("to_skill");
      break;
    case event_type::agent_passback:
      event.note = in.text("note");
      event.intent = in.text("intent");
      break;
    case event_type::agent_resolve:
      event.disposition = in.text("disposition");
      break;
    case event_type::conversation_close:
      event.reason = in.text("reason");
      break;
    case event_type::delivery_ack:
      event.delivery = in.text("delivery");
      break;
    case event_type::customer_left:
    case event_type::agent_reply:
      break;
  }
  return event;
}

}  // namespace

std::string journal_event(const ingress_event& event, time_point at, std::string_view routed_tier) {
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
  if (!event.skills.empty()) {
    json.begin_array("skills");
    for (const auto& skill : event.skills) {
      json.value(skill);
    }
    json.end_array();
  }
  switch (event.type) {
    case event_type::customer_message:
      json.field("customer", event.customer).field("channel", event.channel);
      if (event.control_cohort) {
        json.field("cohort", "control");
      }
      if (!event.tier.empty()) {
        json.field("tier", event.tier);
      }
      if (!routed_tier.empty()) {
        json.field("routed_tier", routed_tier);
      }
      if (!event.lang.empty()) {
        json.field("lang", event.lang);
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
      if (event.confidence) {
        json.field("confidence", *event.confidence);
      }
      if (!event.slots_json.empty()) {
        json.raw_field("slots", event.slots_json);
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
      if (!event.intent.empty()) {
        json.field("intent", event.intent);
      }
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

std::string journal_agent_offline(const std::string& agent, time_point at, bool offers_only) {
  std::string out;
  json_writer json(out);
  json.begin_object().field("kind", "agent_offline").field("at", unix_ms(at)).field("agent", agent);
  if (offers_only) {
    json.field("offers_only", true);
  }
  json.end_object();
  return out;
}

result<journaled_input> decode_journal_payload(std::string_view payload) {
  // A parser per thread: recovery and the offline tools decode many payloads in a row, and
  // the parser keeps its buffers between them.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(payload.data(), payload.size()).get(object) != simdjson::SUCCESS) {
    return error{errc::journal_io, "journal record is not a JSON object"};
  }
  payload_reader in(object);
  journaled_input input;
  const std::string kind = in.text("kind", true);
  input.at = from_unix_ms(in.integer("at"));
  if (kind == "event") {
    input.routed_tier = in.text("routed_tier");
    input.what = read_event(in);
  } else if (kind == "offer") {
    input.what = offer_input{in.text("agent", true), in.text("offer", true)};
  } else if (kind == "sla_breach") {
    timer_input timer;
    const std::string sla = in.text("sla", true);
    if (auto parsed = parse_sla_kind(sla)) {
      timer.sla = *parsed;
    } else {
      in.fail_value("sla", sla);
    }
    timer.deadline = from_unix_ms(in.integer("deadline"));
    timer.level = static_cast<int>(in.integer("level"));
    input.what = timer;
  } else if (kind == "idle_warning" || kind == "idle_close") {
    input.what = idle_input{from_unix_ms(in.integer("since")), kind == "idle_warning" ? 1 : 2};
  } else if (kind == "queue_full") {
    input.what = queue_full_input{};
  } else if (kind == "agent_offline") {
    input.what = offline_input{in.text("agent", true), in.flag("offers_only")};
  } else {
    in.fail_value("kind", kind);
  }
  if (!in.problem().empty()) {
    return error{errc::journal_io, "journal record: " + in.problem()};
  }
  return input;
}

}  // namespace blendroute::actors
