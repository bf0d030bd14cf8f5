// Decoding of ingress frames (one JSON object each) into core events, with simdjson.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/event.hpp"

namespace blendroute::net {

/// The `hello` that opens every TCP or WebSocket session.
struct hello_frame {
  role who = role::gateway;
  std::string token;
  std::string agent;  ///< Required for the agent role.
};

/// What one frame decoded to: a hello, an event, or an error. `id` is the frame's `id` when
/// it could be read, so that a rejection can name it.
struct decoded_frame {
  std::optional<hello_frame> hello;
  std::optional<ingress_event> event;
  std::optional<error> err;
  std::string id;
};

/// Decodes frames. Holds a simdjson parser, so one decoder serves one thread at a time.
class frame_decoder {
public:
  frame_decoder();
  ~frame_decoder();
  frame_decoder(const frame_decoder&) = delete;
  frame_decoder& operator=(const frame_decoder&) = delete;

  /// Decodes the `size` bytes at `data`. `capacity` is how many bytes are readable from
  /// `data`; it must be at least size + 64 (simdjson's padding), else the frame is copied.
  decoded_frame decode(const char* data, std::size_t size, std::size_t capacity);

private:
  void decode_into(decoded_frame& out, const char* data, std::size_t size, std::size_t capacity);

  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace blendroute::net
