#pragma once
// Resolves the `--addr` flag (`host:port`, `[v6-literal]:port`) to a TCP endpoint.

#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace blendroute::load {

/// Splits "host:port" or "[v6-literal]:port" (brackets dropped); false when there is no
/// host or no port.
bool split_addr(const std::string& addr, std::string& host, std::string& port);

/// Resolves `addr` to its first TCP endpoint, blocking on `io`'s thread. Returns an empty
/// string on success, else why it failed (a missing port, an unknown host).
std::string resolve_endpoint(boost::asio::io_context& io, const std::string& addr,
                             boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace blendroute::load
