// libFuzzer target: any bytes sent to the HTTP listener as one connection's request stream.
// The listener must answer or close, never crash, and keep serving: after each input a
// well-formed request must still be answered.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "actors/ingress_port.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "net/http_server.hpp"
#include "net/session_registry.hpp"

namespace {

using namespace blendroute;

/// Accepts every event at once, as a router with an instant journal would.
class accepting_port final : public actors::ingress_port {
public:
  void submit(ingress_event event, actors::ack_callback done) override {
    done(actors::ack::accepted(event.conv));
  }
};

struct listener {
  listener() {
    cfg.http_port = 0;
    cfg.request_timeout = std::chrono::milliseconds{500};
    cfg.max_body_bytes = 64 << 10;
    server = std::make_unique<net::http_server>(cfg, auth, port, sessions, log);
    auto bound = server->start();
    if (!bound) {
      std::abort();
    }
    port_number = *bound;
  }

  listener_config cfg;
  auth_config auth;
  accepting_port port;
  net::session_registry sessions;
  null_log_sink log;
  std::unique_ptr<net::http_server> server;
  std::uint16_t port_number = 0;
};

/// Sends `bytes`, half-closes, and reads until the server closes or 1 s passes. Returns what
/// came back.
std::string exchange(std::uint16_t port, const char* bytes, std::size_t size) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    // Closed with a reset, so that tens of thousands of runs leave no TIME_WAIT behind to
    // use up the loopback's ephemeral ports.
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      break;
    }
    const int why = errno;
    ::close(fd);
    fd = -1;
    if (why == ECONNREFUSED || attempt == 100) {
      std::abort();  // The listener is gone: that is the failure this target looks for.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fd, bytes + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // The server closed early, as it may on a bad request.
    }
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{1};
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) {
      continue;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      break;
    }
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static listener* server = new listener();  // Lives for the whole run, like the server.
  exchange(server->port_number, reinterpret_cast<const char*>(data), size);

  static const std::string probe = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string answer = exchange(server->port_number, probe.data(), probe.size());
  if (answer.compare(0, 15, "HTTP/1.1 200 OK") != 0) {
    std::abort();
  }
  return 0;
}
