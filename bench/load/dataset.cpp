// Reads the replay dataset: one conversation per JSON line (see shared/data/README.md).

#include "bench/load/dataset.hpp"

#include <cmath>
#include <string_view>

#include <simdjson.h>

namespace blendroute::load {

namespace {

// Reads a number of seconds, integer or not, as milliseconds.
bool read_seconds_as_ms(simdjson::dom::element value, std::int64_t& out) {
  double seconds = 0;
  if (value.is_int64()) {
    seconds = static_cast<double>(value.get_int64().value_unsafe());
  } else if (value.get_double().get(seconds) != simdjson::SUCCESS) {
    return false;
  }
  if (!std::isfinite(seconds) || seconds < 0) {
    return false;
  }
  out = std::llround(seconds * 1000.0);
  return true;
}

// Fills `out` from one parsed line; returns an error message, empty on success.
std::string read_conversation(simdjson::dom::element root, conversation& out) {
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return "not a JSON object";
  }

  std::string_view text;
  if (object["id"].get_string().get(text) != simdjson::SUCCESS) {
    return "missing string field id";
  }
  out.id = std::string(text);

  // flow, domains and outcome are optional: a missing one only changes the attributes sent.
  if (object["flow"].get_string().get(text) == simdjson::SUCCESS) {
    out.flow = std::string(text);
  }
  simdjson::dom::array domains;
  if (object["domains"].get_array().get(domains) == simdjson::SUCCESS && domains.size() > 0) {
    if (domains.at(0).get_string().get(text) == simdjson::SUCCESS) {
      out.domain = std::string(text);
    }
  }
  out.completion = "Complete";
  if (object.at_pointer("/outcome/completion").get_string().get(text) == simdjson::SUCCESS) {
    out.completion = std::string(text);
  }

  simdjson::dom::array turns;
  if (object["turns"].get_array().get(turns) != simdjson::SUCCESS) {
    return "conversation " + out.id + ": missing array field turns";
  }
  out.turns.reserve(turns.size());
  std::size_t index = 0;
  for (simdjson::dom::element element : turns) {
    const std::string where = "conversation " + out.id + " turn " + std::to_string(index);
    ++index;
    turn next;
    std::string_view who;
    if (element["speaker"].get_string().get(who) != simdjson::SUCCESS) {
      return where + ": missing string field speaker";
    }
    if (who == "customer") {
      next.who = speaker::customer;
    } else if (who == "agent") {
      next.who = speaker::agent;
    } else if (who == "action") {
      next.who = speaker::action;
    } else {
      return where + ": unknown speaker '" + std::string(who) + "'";
    }
    if (element["text"].get_string().get(text) != simdjson::SUCCESS) {
      return where + ": missing string field text";
    }
    next.text = std::string(text);
    simdjson::dom::element at;
    if (element["t"].get(at) != simdjson::SUCCESS || !read_seconds_as_ms(at, next.at_ms)) {
      return where + ": field t is not a non-negative number";
    }
    // Turns must not go back in time, or the replay could not keep their order on the wire.
    if (!out.turns.empty() && next.at_ms < out.turns.back().at_ms) {
      return where + ": t goes backwards";
    }
    out.turns.push_back(std::move(next));
  }
  return {};
}

bool has_customer_turn(const conversation& c) {
  for (const auto& t : c.turns) {
    if (t.who == speaker::customer) {
      return true;
    }
  }
  return false;
}

}  // namespace

dataset_result load_dataset(const std::string& path, std::size_t limit) {
  dataset_result result;
  simdjson::padded_string content;
  if (const auto error = simdjson::padded_string::load(path).get(content); error) {
    result.error = path + ": cannot read: " + simdjson::error_message(error);
    return result;
  }

  // Each line is copied into a buffer with SIMDJSON_PADDING spare bytes, as the parser needs;
  // one reused buffer keeps that to a copy per line.
  simdjson::dom::parser parser;
  std::string line_buffer;
  const std::string_view all(content.data(), content.size());
  std::size_t line_start = 0;
  std::size_t line_number = 0;
  while (line_start < all.size() && (limit == 0 || result.conversations.size() < limit)) {
    auto line_end = all.find('\n', line_start);
    if (line_end == std::string_view::npos) {
      line_end = all.size();
    }
    auto line = all.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      continue;
    }

    line_buffer.assign(line);
    line_buffer.resize(line.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    const auto where = path + ":" + std::to_string(line_number) + ": ";
    if (const auto error = parser.parse(line_buffer.data(), line.size(), false).get(root); error) {
      result.error = where + simdjson::error_message(error);
      return result;
    }
    conversation next;
    if (auto message = read_conversation(root, next); !message.empty()) {
      result.error = where + message;
      return result;
    }
    if (!has_customer_turn(next)) {
      ++result.skipped;
      continue;
    }
    result.conversations.push_back(std::move(next));
  }
  return result;
}

}  // namespace blendroute::load
