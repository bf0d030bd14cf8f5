#pragma once
// One decoded server frame, and the decoder that fills it from an NDJSON line.

#include <string>
#include <string_view>

#include <simdjson.h>

namespace blendroute::load {

/// The fields of a server frame that the load tool looks at; every other field is skipped.
///
/// String fields hold the unescaped value and are empty when absent. A field that arrives as
/// a number or boolean holds its JSON text instead (`level` may be `2`). `delivery` and `offer`
/// are ids the tool must echo back, so they keep their raw JSON token (`"d-17"` with quotes,
/// or `17`), which is correct whichever JSON type the server picks.
struct frame {
  std::string type;
  /// The ack's id; in `agent.message` the id of the forwarded ingress event.
  std::string id;
  std::string conv;
  std::string status;
  std::string error_code;
  std::string error_message;
  std::string role;
  std::string session;
  std::string from;
  std::string agent;
  std::string text;
  std::string state;
  std::string owner;
  std::string tier;
  std::string reason;
  std::string sla;
  std::string level;
  std::string action;
  std::string deadline;
  std::string delivery;
  std::string offer;

  /// Empties every field and keeps the capacity.
  void clear();
};

/// Decodes NDJSON lines into `frame`s with simdjson ondemand.
///
/// Owns its parser and a padded copy buffer, so a line needs no padding of its own. Walks the
/// whole object, so a malformed frame is caught even in fields the tool ignores. One decoder
/// per connection; not thread-safe.
class frame_decoder {
public:
  /// Decodes `line` (without its newline) into `out`. Returns an empty string on success, else
  /// what is wrong, without the line's content (it may hold customer text).
  std::string decode(std::string_view line, frame& out);

private:
  simdjson::ondemand::parser parser_;
  std::string buffer_;
};

}  // namespace blendroute::load
