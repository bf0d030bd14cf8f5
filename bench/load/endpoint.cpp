// Resolves the `--addr` flag (`host:port`, `[v6-literal]:port`) to a TCP endpoint.

#include "bench/load/endpoint.hpp"

namespace blendroute::load {

bool split_addr(const std::string& addr, std::string& host, std::string& port) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size()) {
    return false;
  }

  host = addr.substr(0, colon);
  port = addr.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty();
}

std::string resolve_endpoint(boost::asio::io_context& io, const std::string& addr,
                             boost::asio::ip::tcp::endpoint& endpoint) {
  std::string host;
  std::string port;
  if (!split_addr(addr, host, port)) {
    return "an address must be host:port, got '" + addr + "'";
  }

  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code error;
  const auto results = resolver.resolve(host, port, error);
  if (error || results.empty()) {
    return "cannot resolve " + addr + ": " + error.message();
  }
  endpoint = results.begin()->endpoint();
  return "";
}

}  // namespace blendroute::load
