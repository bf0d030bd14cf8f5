// The TCP NDJSON listener (DESIGN.md §5 "Framing and sessions").
#pragma once

#include <cstdint>
#include <memory>

#include "actors/ingress_port.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace blendroute::net {

class session_registry;

/// Accepts connections, decodes frames on its own I/O threads and hands events to the
/// ingress port; writes acks in frame order and egress frames as they come.
class tcp_server {
public:
  /// Everything referenced must outlive the server.
  tcp_server(const listener_config& listener, const auth_config& auth, actors::ingress_port& port,
             session_registry& sessions, log_sink& log);
  ~tcp_server();
  tcp_server(const tcp_server&) = delete;
  tcp_server& operator=(const tcp_server&) = delete;

  /// Binds and starts the I/O threads. Returns the bound port (useful with port 0).
  result<std::uint16_t> start();

  /// Stops accepting, closes every connection and joins the I/O threads.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace blendroute::net
