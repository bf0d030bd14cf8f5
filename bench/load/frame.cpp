// One decoded server frame, and the decoder that fills it from an NDJSON line.

#include "bench/load/frame.hpp"

#include <utility>

namespace blendroute::load {

namespace {

using simdjson::ondemand::json_type;

// raw_json_token() runs up to the next token, so it carries the whitespace before it.
std::string_view trim_right(std::string_view text) {
  const auto end = text.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
}

// Reads a string value unescaped, any other scalar as its JSON text.
simdjson::error_code read_text(simdjson::ondemand::value value, std::string& out) {
  json_type type;
  if (auto error = value.type().get(type); error) {
    return error;
  }
  if (type == json_type::string) {
    std::string_view text;
    if (auto error = value.get_string().get(text); error) {
      return error;
    }
    out.assign(text);
    return simdjson::SUCCESS;
  }
  if (type == json_type::object || type == json_type::array) {
    // Nested values of a known field are not used; leave the field empty and skip them.
    return simdjson::SUCCESS;
  }
  out.assign(trim_right(value.raw_json_token()));
  return simdjson::SUCCESS;
}

simdjson::error_code read_raw(simdjson::ondemand::value value, std::string& out) {
  json_type type;
  if (auto error = value.type().get(type); error) {
    return error;
  }
  if (type == json_type::object || type == json_type::array) {
    return simdjson::INCORRECT_TYPE;
  }
  out.assign(trim_right(value.raw_json_token()));
  // A string token is validated only when read; read it so a bad escape fails here too.
  if (type == json_type::string) {
    std::string_view text;
    return value.get_string().get(text);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_error(simdjson::ondemand::value value, frame& out) {
  simdjson::ondemand::object object;
  if (auto error = value.get_object().get(object); error) {
    return error;
  }
  for (auto member : object) {
    simdjson::ondemand::field field;
    if (auto error = std::move(member).get(field); error) {
      return error;
    }
    std::string_view key;
    if (auto error = field.unescaped_key().get(key); error) {
      return error;
    }
    if (key == "code") {
      if (auto error = read_text(field.value(), out.error_code); error) {
        return error;
      }
    } else if (key == "message") {
      if (auto error = read_text(field.value(), out.error_message); error) {
        return error;
      }
    }
  }
  return simdjson::SUCCESS;
}

// Where a known key's value goes; nullptr for keys the tool ignores.
std::string* text_field(frame& f, std::string_view key) {
  struct entry {
    std::string_view key;
    std::string frame::*field;
  };

  static constexpr entry entries[] = {
      {"type", &frame::type},         {"id", &frame::id},
      {"conv", &frame::conv},         {"status", &frame::status},
      {"role", &frame::role},         {"session", &frame::session},
      {"from", &frame::from},         {"agent", &frame::agent},
      {"text", &frame::text},         {"state", &frame::state},
      {"owner", &frame::owner},       {"tier", &frame::tier},
      {"reason", &frame::reason},     {"sla", &frame::sla},
      {"level", &frame::level},       {"action", &frame::action},
      {"deadline", &frame::deadline},
  };
  for (const auto& e : entries) {
    if (e.key == key) {
      return &(f.*e.field);
    }
  }
  return nullptr;
}

}  // namespace

void frame::clear() {
  for (auto* field : {&type,    &id,   &conv,  &status, &error_code, &error_message, &role,
                      &session, &from, &agent, &text,   &state,      &owner,         &tier,
                      &reason,  &sla,  &level, &action, &deadline,   &delivery,      &offer}) {
    field->clear();
  }
}

std::string frame_decoder::decode(std::string_view line, frame& out) {
  out.clear();
  buffer_.assign(line);
  buffer_.resize(line.size() + simdjson::SIMDJSON_PADDING);

  simdjson::ondemand::document document;
  if (auto error = parser_.iterate(buffer_.data(), line.size(), buffer_.size()).get(document);
      error) {
    return simdjson::error_message(error);
  }
  simdjson::ondemand::object object;
  if (auto error = document.get_object().get(object); error) {
    return "not a JSON object";
  }

  for (auto member : object) {
    simdjson::ondemand::field field;
    if (auto error = std::move(member).get(field); error) {
      return simdjson::error_message(error);
    }
    std::string_view key;
    if (auto error = field.unescaped_key().get(key); error) {
      return simdjson::error_message(error);
    }
    simdjson::error_code error = simdjson::SUCCESS;
    if (key == "delivery") {
      error = read_raw(field.value(), out.delivery);
    } else if (key == "offer") {
      error = read_raw(field.value(), out.offer);
    } else if (key == "error") {
      error = read_error(field.value(), out);
    } else if (auto* target = text_field(out, key); target != nullptr) {
      error = read_text(field.value(), *target);
    }
    if (error) {
      return "field " + std::string(key) + ": " + simdjson::error_message(error);
    }
  }

  // Trailing content after the object ("{} x") is a framing error too. simdjson 3.0.1 has no
  // document::at_end(); current_location() fails with OUT_OF_BOUNDS exactly at the end.
  const char* rest = nullptr;
  if (document.current_location().get(rest) == simdjson::SUCCESS) {
    return "trailing content after the object";
  }
  if (out.type.empty()) {
    return "missing field type";
  }
  return {};
}

}  // namespace blendroute::load
