// POSIX socket client with poll-bounded reads; frames parsed with simdjson's DOM.
#include "tests/integration/wire_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <simdjson.h>

namespace blendroute::testing {

std::optional<frame> parse_frame(const std::string& line) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(line).get(object)) {
    return std::nullopt;
  }
  frame out;
  out.raw = line;
  for (auto [key, value] : object) {
    std::string text;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        text = std::string(value.get_string().value());
        break;
      case simdjson::dom::element_type::INT64:
        text = std::to_string(value.get_int64().value());
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        text = "null";
        break;
      case simdjson::dom::element_type::OBJECT:
        // The error object of a rejected ack: keep its code reachable as "error.code".
        if (key == "error") {
          std::string_view code;
          if (!value["code"].get(code)) {
            out.fields["error.code"] = std::string(code);
          }
        }
        text = simdjson::minify(value);
        break;
      default:
        text = simdjson::minify(value);
    }
    out.fields[std::string(key)] = std::move(text);
  }
  return out;
}

wire_client::~wire_client() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool wire_client::connect(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

std::optional<frame> wire_client::hello(const std::string& role, const std::string& token,
                                        const std::string& agent) {
  std::string line = R"({"type":"hello","role":")" + role + R"(","token":")" + token + "\"";
  if (!agent.empty()) {
    line += R"(,"agent":")" + agent + "\"";
  }
  send_line(line + "}");
  return wait_for(
      [](const frame& f) { return f.get("type") == "welcome" || f.get("type") == "ack"; });
}

void wire_client::send_line(const std::string& line) {
  std::string data = line + "\n";
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
}

void wire_client::finish_sending() {
  ::shutdown(fd_, SHUT_WR);
}

bool wire_client::read_line(std::string& line, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) {
      return false;
    }
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<frame> wire_client::wait_for(const std::function<bool(const frame&)>& match,
                                           std::chrono::milliseconds timeout) {
  for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
    if (match(*it)) {
      frame found = *it;
      backlog_.erase(it);
      return found;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (read_line(line, deadline)) {
    auto parsed = parse_frame(line);
    if (!parsed) {
      continue;
    }
    if (match(*parsed)) {
      return parsed;
    }
    backlog_.push_back(std::move(*parsed));
  }
  return std::nullopt;
}

std::optional<frame> wire_client::ack(const std::string& id, std::chrono::milliseconds timeout) {
  return wait_for([&](const frame& f) { return f.get("type") == "ack" && f.get("id") == id; },
                  timeout);
}

void wire_client::pump(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (read_line(line, deadline)) {
    if (auto parsed = parse_frame(line)) {
      backlog_.push_back(std::move(*parsed));
    }
  }
}

}  // namespace blendroute::testing
