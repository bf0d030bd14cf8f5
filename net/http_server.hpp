// The HTTP listener (DESIGN.md §5 "HTTP"): event and supervisor API, WebSocket stream.
#pragma once

#include <cstdint>
#include <memory>

#include "actors/ingress_port.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace blendroute::net {

class session_registry;

/// Serves HTTP/1.1 with Boost.Beast on its own I/O thread. Every request carries
/// `Authorization: Bearer <token>`; the token's role decides which events it may post.
class http_server {
public:
  /// Everything referenced must outlive the server.
  http_server(const listener_config& listener, const auth_config& auth, actors::ingress_port& port,
              session_registry& sessions, log_sink& log);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and starts serving. Returns the bound port (useful with port 0).
  result<std::uint16_t> start();

  /// Stops accepting, closes every connection and joins the I/O thread.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace blendroute::net
