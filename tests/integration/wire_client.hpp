// A blocking NDJSON test client with bounded waits and a backlog of unmatched frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace blendroute::testing {

/// The top-level scalar fields of one received frame, as text (numbers in decimal), plus
/// the raw line for anything deeper.
struct frame {
  std::map<std::string, std::string> fields;
  std::string raw;

  std::string get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string{} : it->second;
  }
};

/// Parses one JSON line; nullopt when it is not an object.
std::optional<frame> parse_frame(const std::string& line);

class wire_client {
public:
  wire_client() = default;
  ~wire_client();
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;

  bool connect(std::uint16_t port);

  /// Sends `hello` and waits for the welcome; returns the welcome or nullopt.
  std::optional<frame> hello(const std::string& role, const std::string& token,
                             const std::string& agent = {});

  void send_line(const std::string& line);

  /// Half-closes the connection: the server sees end of stream, and may still answer.
  void finish_sending();

  /// The first frame (from the backlog, then from the socket) that `match` accepts, waiting
  /// at most `timeout`. Frames that do not match are kept for later calls.
  std::optional<frame> wait_for(const std::function<bool(const frame&)>& match,
                                std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// The ack of `id`.
  std::optional<frame> ack(const std::string& id,
                           std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Every frame received so far that no wait consumed, in order.
  const std::deque<frame>& backlog() const { return backlog_; }

  /// Takes every frame the backlog holds, leaving it empty.
  std::deque<frame> drain() { return std::exchange(backlog_, {}); }

  /// Reads what is available within `timeout` into the backlog.
  void pump(std::chrono::milliseconds timeout);

  /// Whether the server closed the connection.
  bool closed() const { return closed_; }

private:
  bool read_line(std::string& line, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  std::deque<frame> backlog_;
  bool closed_ = false;
};

}  // namespace blendroute::testing
