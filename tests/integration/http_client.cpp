// Raw HTTP/1.1 exchanges with the real server, bounded in time.
#include "tests/integration/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace blendroute::testing {

std::string http_exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  for (int rounds = 0; rounds < 100; ++rounds) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) {
      if (response.find("\r\n\r\n") != std::string::npos) {
        break;  // A full response arrived and the connection stays open.
      }
      continue;
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      break;
    }
    response.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

std::string post(std::uint16_t port, const std::string& token, const std::string& type,
                 const std::string& body) {
  return http_exchange(port,
                       "POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Authorization: Bearer "
                           + token + "\r\nContent-Type: " + type + "\r\nContent-Length: "
                           + std::to_string(body.size()) + "\r\n\r\n" + body);
}

int status_of(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

double metric_value(std::uint16_t port, const std::string& name) {
  const std::string response =
      http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::istringstream lines(response.substr(std::min(response.size(), response.find("\r\n\r\n"))));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0
        && line[name.size()] == ' ') {
      return std::stod(line.substr(name.size() + 1));
    }
  }
  return -1;
}

}  // namespace blendroute::testing
