// simdjson ondemand decoding of frames, field by field, with the error codes of §5.
#include "net/frame_decoder.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <simdjson.h>

namespace blendroute::net {
namespace {

using simdjson::ondemand::json_type;

/// The bit of each key the decoder reads: which ones a frame has, and a key given twice.
namespace known_field {
enum : unsigned {
  type,
  id,
  conv,
  text,
  to_agent,
  to_skill,
  ts,
  attrs,
  score,
  outcome,
  confidence,
  slots,
  skills,
  agent,
  status,
  capacity,
  offer,
  delivery,
  role,
  token,
  plain_string,  ///< The first of plain_string_fields; the others follow it.
};
}  // namespace known_field

/// Fields that every event type may carry, read in one pass whatever their order. The
/// views point into the parser's string buffer, valid until the next frame.
struct raw_fields {
  std::uint32_t seen = 0;  ///< known_field bits of the keys read so far.
  std::string_view type, outcome, status, role;

  bool has(unsigned field) const { return (seen & (std::uint32_t{1} << field)) != 0; }
};

error field_error(errc code, std::string_view key, std::string_view what) {
  return {code, "field `" + std::string(key) + "` " + std::string(what)};
}

errc json_errc(simdjson::error_code code) {
  if (code == simdjson::UTF8_ERROR) {
    return errc::bad_utf8;
  }
  if (code == simdjson::STRING_ERROR) {
    // An escaped lone surrogate (or another broken escape) inside a string.
    return errc::bad_utf8;
  }
  return errc::bad_json;
}

error json_error(simdjson::error_code code) {
  return {json_errc(code), std::string("invalid JSON: ") + simdjson::error_message(code)};
}

/// Deeper values are refused: the checks below recurse, and no event needs more.
constexpr int max_depth = 64;

bool is_hex_surrogate_lead(char c) {
  return c == '8' || c == '9' || c == 'a' || c == 'b' || c == 'c' || c == 'd' || c == 'e'
         || c == 'f' || c == 'A' || c == 'B' || c == 'C' || c == 'D' || c == 'E' || c == 'F';
}

/// Whether a string token holds an escaped UTF-16 surrogate (`\uD800`–`\uDFFF`).
bool has_escaped_surrogate(std::string_view token) {
  for (std::size_t i = 0; i + 3 < token.size(); ++i) {
    if (token[i] != '\\') {
      continue;
    }
    if (token[i + 1] == 'u' && (token[i + 2] == 'd' || token[i + 2] == 'D')
        && is_hex_surrogate_lead(token[i + 3])) {
      return true;
    }
    ++i;  // Skip the escaped character, so that "\\u" is not taken for an escape.
  }
  return false;
}

/// A string that simdjson could not unescape: a broken surrogate is an encoding error
/// (`bad_utf8`), any other bad escape a syntax error (`bad_json`).
error string_error(simdjson::error_code code, std::string_view token) {
  if (code == simdjson::STRING_ERROR) {
    if (has_escaped_surrogate(token)) {
      return {errc::bad_utf8, "invalid JSON: a string holds an unpaired UTF-16 surrogate"};
    }
    return {errc::bad_json, "invalid JSON: a string holds an invalid escape"};
  }
  return json_error(code);
}

/// The raw text of a key, from simdjson's pointer just past its opening quote to its closing
/// quote (which the structural scan has already found).
std::string_view key_token(const simdjson::ondemand::raw_json_string& key) {
  const char* begin = key.raw();
  const char* end = begin;
  while (*end != '"') {
    end += *end == '\\' ? 2 : 1;
  }
  return {begin, static_cast<std::size_t>(end - begin)};
}

/// Whether `token` follows JSON's number grammar (magnitude is not limited).
bool is_json_number(std::string_view token) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  if (i < token.size() && token[i] == '-') {
    ++i;
  }
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (!digits()) {
      return false;
    }
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
      ++i;
    }
    if (!digits()) {
      return false;
    }
  }
  return i == token.size();
}

/// Reads a value the router does not use, only to prove it is valid JSON: simdjson's
/// ondemand API validates only what is read.
std::optional<error> check_value(simdjson::ondemand::value& value, int depth) {
  if (depth > max_depth) {
    return error{errc::bad_json, "invalid JSON: nested deeper than 64 levels"};
  }
  json_type type;
  if (auto code = value.type().get(type)) {
    return json_error(code);
  }
  switch (type) {
    case json_type::array: {
      simdjson::ondemand::array array;
      if (auto code = value.get_array().get(array)) {
        return json_error(code);
      }
      for (auto element : array) {
        simdjson::ondemand::value item;
        if (auto code = element.get(item)) {
          return json_error(code);
        }
        if (auto err = check_value(item, depth + 1)) {
          return err;
        }
      }
      return std::nullopt;
    }
    case json_type::object: {
      simdjson::ondemand::object object;
      if (auto code = value.get_object().get(object)) {
        return json_error(code);
      }
      for (auto field : object) {
        simdjson::ondemand::raw_json_string raw_key;
        if (auto code = field.key().get(raw_key)) {
          return json_error(code);
        }
        std::string_view key;
        if (auto code = field.unescaped_key().get(key)) {
          return string_error(code, key_token(raw_key));
        }
        simdjson::ondemand::value item;
        if (auto code = field.value().get(item)) {
          return json_error(code);
        }
        if (auto err = check_value(item, depth + 1)) {
          return err;
        }
      }
      return std::nullopt;
    }
    case json_type::string: {
      const std::string_view token = value.raw_json_token();
      std::string_view text;
      if (auto code = value.get_string().get(text)) {
        return string_error(code, token);
      }
      return std::nullopt;
    }
    case json_type::number: {
      std::string_view token = value.raw_json_token();
      while (!token.empty()
             && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n'
                 || token.back() == '\r')) {
        token.remove_suffix(1);
      }
      if (!is_json_number(token)) {
        return error{errc::bad_json, "invalid JSON: malformed number"};
      }
      return std::nullopt;
    }
    case json_type::boolean: {
      bool flag = false;
      if (auto code = value.get_bool().get(flag)) {
        return json_error(code);
      }
      return std::nullopt;
    }
    case json_type::null: {
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) {
        return error{errc::bad_json, "invalid JSON: malformed literal"};
      }
      return std::nullopt;
    }
  }
  return error{errc::bad_json, "invalid JSON"};
}

/// Checks that `text` is one valid JSON value (a raw field the router passes on verbatim).
std::optional<error> check_json_text(std::string_view text) {
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(text);
  simdjson::ondemand::document doc;
  if (auto code = parser.iterate(padded).get(doc)) {
    return json_error(code);
  }
  simdjson::ondemand::value value;
  if (auto code = doc.get_value().get(value)) {
    return json_error(code);
  }
  return check_value(value, 1);
}

/// Identifiers go into journal keys and log lines, so control characters are refused.
/// Whether `text` holds a control character (below 0x20, or DEL). Eight bytes at a time:
/// every frame checks eight identifiers.
bool has_control_character(std::string_view text) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    // A byte below 0x20 borrows when 0x20 is taken from it; a DEL byte becomes zero when
    // xored with 0x7f. Bytes from 0x80 up have their high bit set and are excluded.
    const std::uint64_t below_space = (word - ones * 0x20) & ~word & highs;
    const std::uint64_t del = word ^ (ones * 0x7f);
    const std::uint64_t is_del = (del - ones) & ~del & highs;
    if ((below_space | is_del) != 0) {
      return true;
    }
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

std::optional<error> check_identifier(std::string_view key, const std::string& text) {
  if (has_control_character(text)) {
    return field_error(errc::bad_value, key, "must not contain control characters");
  }
  return std::nullopt;
}

/// Reads a string field as a view into the parser's string buffer, valid until the next
/// frame; on a wrong type or a broken string, returns the error.
std::optional<error> read_string_view(simdjson::ondemand::value& value, std::string_view key,
                                      std::string_view& out) {
  json_type type;
  if (auto code = value.type().get(type)) {
    return json_error(code);
  }
  if (type != json_type::string) {
    return field_error(errc::bad_type, key, "must be a string");
  }
  const std::string_view token = value.raw_json_token();
  // Most strings hold no escape: their text is the token between its quotes, already
  // checked as UTF-8 by simdjson's first stage, and unescaping would only copy it.
  if (const std::size_t close = token.find_last_of('"');
      close > 0 && close != std::string_view::npos && token.find('\\') == std::string_view::npos) {
    out = token.substr(1, close - 1);
    return std::nullopt;
  }
  if (auto code = value.get_string().get(out)) {
    return string_error(code, token);
  }
  return std::nullopt;
}

/// Reads a string field; on a wrong type or a broken string, returns the error.
std::optional<error> read_string(simdjson::ondemand::value& value, std::string_view key,
                                 std::string& out) {
  std::string_view text;
  if (auto err = read_string_view(value, key, text)) {
    return err;
  }
  out.assign(text);
  return std::nullopt;
}

std::optional<error> read_string_array(simdjson::ondemand::value& value, std::string_view key,
                                       std::vector<std::string>& out) {
  simdjson::ondemand::array array;
  json_type type;
  if (auto code = value.type().get(type)) {
    return json_error(code);
  }
  if (type != json_type::array) {
    return field_error(errc::bad_type, key, "must be an array of strings");
  }
  if (auto code = value.get_array().get(array)) {
    return json_error(code);
  }
  for (auto element : array) {
    simdjson::ondemand::value item;
    if (auto code = element.get(item)) {
      return json_error(code);
    }
    std::string text;
    if (auto err = read_string(item, key, text)) {
      if (err->code == errc::bad_type) {
        return field_error(errc::bad_type, key, "must be an array of strings");
      }
      return err;
    }
    out.push_back(std::move(text));
  }
  return std::nullopt;
}

std::optional<error> read_integer(simdjson::ondemand::value& value, std::string_view key,
                                  std::int64_t& out) {
  json_type type;
  if (auto code = value.type().get(type)) {
    return json_error(code);
  }
  if (type != json_type::number) {
    return field_error(errc::bad_type, key, "must be an integer");
  }
  if (value.get_int64().get(out)) {
    // A number, but a fraction or beyond 64 bits: the type is right, the value is not.
    return field_error(errc::bad_value, key, "must be a whole number in range");
  }
  return std::nullopt;
}

/// Reads an integer field that must lie in [min, max].
std::optional<error> read_bounded(simdjson::ondemand::value& value, std::string_view key,
                                  std::int64_t min, std::int64_t max, int& out) {
  std::int64_t number = 0;
  if (auto err = read_integer(value, key, number)) {
    return err;
  }
  if (number < min || number > max) {
    return field_error(errc::bad_value, key,
                       "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = static_cast<int>(number);
  return std::nullopt;
}

/// Marks `key` read. A key given twice is refused rather than one of its values picked: JSON
/// parsers disagree on which one counts, so a gateway that checked the first could have the
/// last applied. The repeated value is still checked, so that a syntax error in it is
/// `bad_json` as anywhere else.
std::optional<error> claim_key(raw_fields& raw, unsigned field, std::string_view key,
                               simdjson::ondemand::value& value) {
  if (raw.has(field)) {
    if (auto err = check_value(value, 2)) {
      return err;
    }
    return field_error(errc::bad_value, key, "is given more than once");
  }
  raw.seen |= std::uint32_t{1} << field;
  return std::nullopt;
}

/// Whether two attributes have the same name: routing rules match on attributes, so which
/// value counts must not be left to chance (as for a key given twice).
bool has_repeated_name(const std::vector<std::pair<std::string, std::string>>& attrs) {
  constexpr std::size_t compared_in_place = 16;
  if (attrs.size() <= compared_in_place) {
    for (std::size_t i = 1; i < attrs.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (attrs[i].first == attrs[j].first) {
          return true;
        }
      }
    }
    return false;
  }
  // Many attributes: sorted names, so that a frame full of them costs n log n, not n².
  std::vector<std::string_view> names;
  names.reserve(attrs.size());
  for (const auto& [name, value] : attrs) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

/// The length of the valid UTF-8 sequence at `text[0]`, or 0 when it is not one: its
/// length from the lead byte, its validity (overlong forms, surrogates, past U+10FFFF) from
/// simdjson.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  const std::size_t length = lead < 0x80   ? 1
                             : lead < 0xC0 ? 0  // A continuation byte cannot lead.
                             : lead < 0xE0 ? 2
                             : lead < 0xF0 ? 3
                             : lead < 0xF8 ? 4
                                           : 0;
  return length != 0 && length <= text.size() && simdjson::validate_utf8(text.data(), length)
             ? length
             : 0;
}

/// The `id` of a frame that is not valid UTF-8, when the id itself is, so that the
/// `bad_utf8` ack names the event it answers. The frame is read once more with each invalid
/// byte replaced by `?`; the id is kept only if none of its own bytes were replaced. Runs
/// only for such frames, never on the hot path: kept out of decode_into's code, where
/// inlined it made every frame's decoding about 7 % slower (BM_FrameDecoder).
[[gnu::cold, gnu::noinline]] std::string id_of_frame_with_invalid_utf8(
    simdjson::ondemand::parser& parser, std::string_view frame) {
  std::string repaired(frame);
  for (std::size_t i = 0; i < repaired.size();) {
    const std::size_t length = utf8_sequence_length(std::string_view(repaired).substr(i));
    if (length == 0) {
      repaired[i++] = '?';
    } else {
      i += length;
    }
  }
  repaired.resize(frame.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(repaired.data(), frame.size(), repaired.size()).get(doc)
      || doc.get_object().get(object)) {
    return {};
  }
  for (auto field_or_error : object) {
    simdjson::ondemand::field field;
    if (std::move(field_or_error).get(field)) {
      return {};
    }
    if (key_token(field.key()) != "id") {
      continue;
    }
    const std::string_view token = field.value().raw_json_token();
    std::string_view id;
    if (field.value().get_string().get(id)) {
      return {};
    }
    const auto offset = static_cast<std::size_t>(token.data() - repaired.data());
    return frame.substr(offset, token.size()) == token ? std::string(id) : std::string();
  }
  return {};
}

/// Optional string fields that are copied as they are.
struct plain_string_field {
  std::string_view key;
  std::string ingress_event::*member;
};

constexpr plain_string_field plain_string_fields[] = {
    {"tier", &ingress_event::tier},
    {"customer", &ingress_event::customer},
    {"channel", &ingress_event::channel},
    {"lang", &ingress_event::lang},
    {"intent", &ingress_event::intent},
    {"note", &ingress_event::note},
    {"disposition", &ingress_event::disposition},
    {"reason", &ingress_event::reason},
};
static_assert(known_field::plain_string + std::size(plain_string_fields) <= 32,
              "raw_fields::seen has a bit per known key");

/// Reads one field of the frame into `event` or `raw`. Unknown fields are skipped, so that
/// senders may add fields without breaking older routers.
std::optional<error> read_field(std::string_view key, simdjson::ondemand::value& value,
                                ingress_event& event, raw_fields& raw, hello_frame& hello) {
  // The fields every frame has come first: most keys are found after a comparison or two.
  if (key == "type") {
    if (auto err = claim_key(raw, known_field::type, key, value)) {
      return err;
    }
    return read_string_view(value, key, raw.type);
  }
  if (key == "id") {
    if (auto err = claim_key(raw, known_field::id, key, value)) {
      return err;
    }
    return read_string(value, key, event.id);
  }
  if (key == "conv") {
    if (auto err = claim_key(raw, known_field::conv, key, value)) {
      return err;
    }
    return read_string(value, key, event.conv);
  }
  if (key == "text") {
    if (auto err = claim_key(raw, known_field::text, key, value)) {
      return err;
    }
    return read_string(value, key, event.text);
  }
  if (key == "to_agent") {
    if (auto err = claim_key(raw, known_field::to_agent, key, value)) {
      return err;
    }
    return read_string(value, key, event.to_agent);
  }
  if (key == "to_skill") {
    if (auto err = claim_key(raw, known_field::to_skill, key, value)) {
      return err;
    }
    return read_string(value, key, event.to_skill);
  }
  for (unsigned i = 0; i < std::size(plain_string_fields); ++i) {
    if (key == plain_string_fields[i].key) {
      if (auto err = claim_key(raw, known_field::plain_string + i, key, value)) {
        return err;
      }
      return read_string(value, key, event.*plain_string_fields[i].member);
    }
  }
  if (key == "ts") {
    if (auto err = claim_key(raw, known_field::ts, key, value)) {
      return err;
    }
    std::int64_t ts = 0;
    if (auto err = read_integer(value, key, ts)) {
      return err;
    }
    event.sender_ts = ts;
    return std::nullopt;
  }
  if (key == "attrs") {
    if (auto err = claim_key(raw, known_field::attrs, key, value)) {
      return err;
    }
    simdjson::ondemand::object attrs;
    json_type type;
    if (auto code = value.type().get(type)) {
      return json_error(code);
    }
    if (type != json_type::object || value.get_object().get(attrs)) {
      return field_error(errc::bad_type, key, "must be an object of strings");
    }
    for (auto attr : attrs) {
      std::string_view attr_key;
      if (auto code = attr.unescaped_key().get(attr_key)) {
        return json_error(code);
      }
      std::string attr_name(attr_key);
      simdjson::ondemand::value attr_value;
      if (auto code = attr.value().get(attr_value)) {
        return json_error(code);
      }
      std::string text;
      if (auto err = read_string(attr_value, key, text)) {
        if (err->code == errc::bad_type) {
          return field_error(errc::bad_type, key, "must be an object of strings");
        }
        return err;
      }
      event.attrs.emplace_back(std::move(attr_name), std::move(text));
    }
    if (has_repeated_name(event.attrs)) {
      return field_error(errc::bad_value, key, "names an attribute more than once");
    }
    return std::nullopt;
  }
  if (key == "score") {
    if (auto err = claim_key(raw, known_field::score, key, value)) {
      return err;
    }
    return read_bounded(value, key, 1, 5, event.csat_score);
  }
  if (key == "outcome") {
    if (auto err = claim_key(raw, known_field::outcome, key, value)) {
      return err;
    }
    return read_string_view(value, key, raw.outcome);
  }
  if (key == "confidence") {
    if (auto err = claim_key(raw, known_field::confidence, key, value)) {
      return err;
    }
    json_type type;
    if (auto code = value.type().get(type)) {
      return json_error(code);
    }
    double confidence = 0;
    if (type != json_type::number) {
      return field_error(errc::bad_type, key, "must be a number");
    }
    if (value.get_double().get(confidence)) {
      return field_error(errc::bad_value, key, "must be between 0 and 1");
    }
    if (confidence < 0 || confidence > 1) {
      return field_error(errc::bad_value, key, "must be between 0 and 1");
    }
    event.confidence = confidence;
    return std::nullopt;
  }
  if (key == "slots") {
    if (auto err = claim_key(raw, known_field::slots, key, value)) {
      return err;
    }
    json_type type;
    if (auto code = value.type().get(type)) {
      return json_error(code);
    }
    simdjson::ondemand::object slots;
    std::string_view raw_json;
    if (type != json_type::object || value.get_object().get(slots)) {
      return field_error(errc::bad_type, key, "must be an object");
    }
    if (auto code = slots.raw_json().get(raw_json)) {
      return json_error(code);
    }
    // The slots are passed on verbatim to agents, so they must be valid JSON themselves.
    if (auto err = check_json_text(raw_json)) {
      return err;
    }
    event.slots_json.assign(raw_json);
    return std::nullopt;
  }
  if (key == "skills") {
    if (auto err = claim_key(raw, known_field::skills, key, value)) {
      return err;
    }
    return read_string_array(value, key, event.skills);
  }
  if (key == "agent") {
    if (auto err = claim_key(raw, known_field::agent, key, value)) {
      return err;
    }
    return read_string(value, key, event.agent);  // Also the agent of a hello.
  }
  if (key == "status") {
    if (auto err = claim_key(raw, known_field::status, key, value)) {
      return err;
    }
    return read_string_view(value, key, raw.status);
  }
  if (key == "capacity") {
    if (auto err = claim_key(raw, known_field::capacity, key, value)) {
      return err;
    }
    int capacity = 0;
    if (auto err = read_bounded(value, key, 1, 1000, capacity)) {
      return err;
    }
    event.capacity = capacity;
    return std::nullopt;
  }
  if (key == "offer") {
    if (auto err = claim_key(raw, known_field::offer, key, value)) {
      return err;
    }
    return read_string(value, key, event.offer);
  }
  if (key == "delivery") {
    if (auto err = claim_key(raw, known_field::delivery, key, value)) {
      return err;
    }
    return read_string(value, key, event.delivery);
  }
  if (key == "role") {
    if (auto err = claim_key(raw, known_field::role, key, value)) {
      return err;
    }
    return read_string_view(value, key, raw.role);
  }
  if (key == "token") {
    if (auto err = claim_key(raw, known_field::token, key, value)) {
      return err;
    }
    return read_string(value, key, hello.token);
  }
  return check_value(value, 2);
}

std::optional<error> require(bool present, std::string_view key) {
  if (!present) {
    return field_error(errc::missing_field, key, "is required");
  }
  return std::nullopt;
}

/// Checks the fields each type requires (DESIGN.md §5 "Ingress events").
std::optional<error> check_required(ingress_event& event, const raw_fields& raw) {
  if (is_conversation_event(event.type)) {
    if (auto err = require(raw.has(known_field::conv), "conv")) {
      return err;
    }
    if (event.conv.empty()) {
      return field_error(errc::bad_value, "conv", "must not be empty");
    }
  }
  switch (event.type) {
    case event_type::customer_message:
      if (auto err = require(raw.has(known_field::text), "text")) {
        return err;
      }
      break;
    case event_type::agent_reply:
      if (auto err = require(raw.has(known_field::agent), "agent")) {
        return err;
      }
      if (auto err = require(raw.has(known_field::text), "text")) {
        return err;
      }
      break;
    case event_type::customer_csat:
      return require(raw.has(known_field::score), "score");
    case event_type::bot_reply: {
      if (auto err = require(raw.has(known_field::text), "text")) {
        return err;
      }
      if (auto err = require(raw.has(known_field::outcome), "outcome")) {
        return err;
      }
      auto outcome = parse_bot_outcome(raw.outcome);
      if (!outcome) {
        return field_error(errc::bad_value, "outcome", "must be continue, resolved or handoff");
      }
      event.outcome = *outcome;
      break;
    }
    case event_type::agent_status: {
      if (auto err = require(raw.has(known_field::agent), "agent")) {
        return err;
      }
      if (auto err = require(raw.has(known_field::status), "status")) {
        return err;
      }
      auto presence = parse_agent_presence(raw.status);
      if (!presence) {
        return field_error(errc::bad_value, "status", "must be available, away or offline");
      }
      event.presence = *presence;
      break;
    }
    case event_type::agent_accept:
    case event_type::agent_decline:
      if (auto err = require(raw.has(known_field::agent), "agent")) {
        return err;
      }
      return require(raw.has(known_field::offer), "offer");
    case event_type::agent_transfer:
      if (auto err = require(raw.has(known_field::agent), "agent")) {
        return err;
      }
      if (!raw.has(known_field::to_agent) && !raw.has(known_field::to_skill)) {
        return field_error(errc::missing_field, "to_agent",
                           "or `to_skill` is required (exactly one of them)");
      }
      if (raw.has(known_field::to_agent) && raw.has(known_field::to_skill)) {
        return field_error(errc::bad_value, "to_agent",
                           "and `to_skill` are exclusive: a transfer names one target");
      }
      if (raw.has(known_field::to_agent) ? event.to_agent.empty() : event.to_skill.empty()) {
        return field_error(errc::bad_value,
                           raw.has(known_field::to_agent) ? "to_agent" : "to_skill",
                           "must not be empty");
      }
      break;
    case event_type::agent_passback:
    case event_type::agent_resolve:
      return require(raw.has(known_field::agent), "agent");
    case event_type::delivery_ack:
      return require(raw.has(known_field::delivery), "delivery");
    case event_type::customer_left:
    case event_type::conversation_close:
      break;
  }
  return std::nullopt;
}

}  // namespace

struct frame_decoder::impl {
  simdjson::ondemand::parser parser;
  std::string padded;  ///< For frames handed over without padding.
};

frame_decoder::frame_decoder() : impl_(std::make_unique<impl>()) {}

frame_decoder::~frame_decoder() = default;

decoded_frame frame_decoder::decode(const char* data, std::size_t size, std::size_t capacity) {
  decoded_frame out;
  decode_into(out, data, size, capacity);
  if (out.err || out.hello) {
    out.event.reset();
  }
  return out;
}

void frame_decoder::decode_into(decoded_frame& out, const char* data, std::size_t size,
                                std::size_t capacity) {
  if (capacity < size + simdjson::SIMDJSON_PADDING) {
    impl_->padded.assign(data, size);
    impl_->padded.resize(size + simdjson::SIMDJSON_PADDING);
    data = impl_->padded.data();
    capacity = impl_->padded.size();
  }

  simdjson::ondemand::document doc;
  if (auto code = impl_->parser.iterate(data, size, capacity).get(doc)) {
    out.err = json_error(code);
    if (out.err->code == errc::bad_utf8) {
      out.id = id_of_frame_with_invalid_utf8(impl_->parser, std::string_view(data, size));
    }
    return;
  }
  simdjson::ondemand::object object;
  if (auto code = doc.get_object().get(object)) {
    out.err = error{json_errc(code) == errc::bad_utf8 ? errc::bad_utf8 : errc::bad_json,
                    "a frame must be one JSON object"};
    return;
  }

  // Decoded in place: the event is large, and moving it out would copy every field.
  ingress_event& event = out.event.emplace();
  raw_fields raw;
  hello_frame hello;
  std::optional<error> first_error;
  // Every field is visited, so that a syntax error anywhere in the object is found.
  for (auto field_or_error : object) {
    // The field and its value are used where they are, not copied out of simdjson's
    // results: copying them cost a stalled store-to-load forwarding per field.
    simdjson::ondemand::field field;
    if (auto code = std::move(field_or_error).get(field)) {
      out.err = json_error(code);
      out.id = event.id;
      return;
    }
    const simdjson::ondemand::raw_json_string raw_key = field.key();
    // A key without escapes is its raw text; only the rare escaped one is unescaped.
    std::string_view key = key_token(raw_key);
    if (key.find('\\') != std::string_view::npos) {
      if (auto code = field.unescaped_key().get(key)) {
        out.err = string_error(code, key_token(raw_key));
        out.id = event.id;
        return;
      }
    }
    simdjson::ondemand::value& value = field.value();
    // `key` stays valid: it is in the frame, or simdjson's string buffer, which only grows.
    auto err = read_field(key, value, event, raw, hello);
    if (err && !first_error) {
      first_error = std::move(err);
    }
    if (first_error
        && (first_error->code == errc::bad_json || first_error->code == errc::bad_utf8)) {
      out.err = std::move(first_error);
      out.id = event.id;
      return;
    }
  }
  // simdjson 3.0.1 has no document::at_end(): a readable location after the object means
  // more tokens follow it.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    out.err = error{errc::bad_json, "trailing characters after the JSON object"};
    out.id = event.id;
    return;
  }
  out.id = event.id;
  if (first_error) {
    out.err = std::move(first_error);
    return;
  }

  if (!raw.has(known_field::type)) {
    out.err = field_error(errc::missing_field, "type", "is required");
    return;
  }
  if (raw.type == "hello") {
    if (!raw.has(known_field::role) || !raw.has(known_field::token)) {
      out.err = error{errc::unauthorized, "hello needs `role` and `token`"};
      return;
    }
    auto who = parse_role(raw.role);
    if (!who) {
      out.err = error{errc::unauthorized, "unknown role \"" + std::string(raw.role) + "\""};
      return;
    }
    hello.who = *who;
    hello.agent = event.agent;
    if (check_identifier("agent", hello.agent)) {
      out.err = error{errc::unauthorized, "an agent id must not contain control characters"};
      return;
    }
    if (hello.who == role::agent && hello.agent.empty()) {
      out.err = error{errc::unauthorized, "an agent's hello needs `agent`"};
      return;
    }
    out.hello = std::move(hello);
    return;
  }

  auto type = parse_event_type(raw.type);
  if (!type) {
    out.err = error{errc::unknown_type, "unknown event type \"" + std::string(raw.type) + "\""};
    return;
  }
  event.type = *type;
  if (!raw.has(known_field::id)) {
    out.err = field_error(errc::missing_field, "id", "is required");
    return;
  }
  if (event.id.empty()) {
    out.err = field_error(errc::bad_value, "id", "must not be empty");
    return;
  }
  if (auto err = check_required(event, raw)) {
    out.err = std::move(err);
    return;
  }
  for (const auto& [key, text] : {std::pair<std::string_view, const std::string&>{"id", event.id},
                                  {"conv", event.conv},
                                  {"agent", event.agent},
                                  {"offer", event.offer},
                                  {"to_agent", event.to_agent},
                                  {"delivery", event.delivery},
                                  {"customer", event.customer},
                                  {"channel", event.channel}}) {
    if (auto err = check_identifier(key, text)) {
      out.err = std::move(err);
      return;
    }
  }
}

}  // namespace blendroute::net
