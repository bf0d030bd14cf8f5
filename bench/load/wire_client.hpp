#pragma once
// One NDJSON connection to the router: hello, pipelined sends with ordered ack matching, and a
// callback per incoming frame.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/load/frame.hpp"
#include "bench/load/json_writer.hpp"

namespace blendroute::load {

/// Who a connection says it is in its hello frame.
struct wire_identity {
  /// `gateway`, `agent`, `supervisor`, `bot` or `admin`.
  std::string role;
  std::string token;
  /// The agent id for role `agent`; empty otherwise.
  std::string agent;
};

/// Settings of one connection.
struct wire_client_options {
  /// Names the connection in log lines, e.g. `gateway-2`.
  std::string name;
  wire_identity identity;
  /// How long a refused connect is retried, since the server may still be starting.
  std::chrono::nanoseconds connect_retry_window = std::chrono::seconds(10);
  /// Pause between connect attempts.
  std::chrono::nanoseconds connect_retry_interval = std::chrono::milliseconds(250);
  /// Longest incoming line accepted; a longer one means the framing is lost.
  std::size_t max_frame_bytes = 1 << 20;
};

/// An ack, matched to the frame it answers.
struct ack_event {
  std::string_view id;
  std::string_view status;
  /// Set when the status is `rejected`.
  std::string_view error_code;
  std::string_view error_message;
  /// The tag given to `send()`; 0 when the ack matched nothing.
  std::uint64_t tag = 0;
  /// From handing the frame to the socket to reading the ack.
  std::chrono::nanoseconds latency{0};
  /// False when the ack's id was not sent on this connection or is still unanswered; such an
  /// ack has no tag and no latency.
  bool matched = false;
  /// False when an older frame was still waiting for its ack: acks came out of order.
  bool in_order = true;
};

/// Callbacks of a `wire_client`, all run on the io_context's thread.
struct wire_handlers {
  /// The server answered the hello with `welcome`.
  std::function<void()> on_welcome;
  /// Any frame other than `welcome` and `ack`, after the welcome.
  std::function<void(const frame&)> on_frame;
  /// Every ack, in arrival order.
  std::function<void(const ack_event&)> on_ack;
  /// The connection failed or was closed by the server; called at most once, never after
  /// `close()`. The client sends nothing more.
  std::function<void(std::string_view reason)> on_failure;
  /// A warning for the operator (a retry, a bad frame); one line without a trailing newline.
  std::function<void(std::string_view line)> on_warning;
};

/// What the load modes send events through: a connection to the router that answers each
/// event with one ack, over NDJSON (`wire_client`) or HTTP (`http_event_client`).
class event_client {
public:
  virtual ~event_client() = default;

  /// Connects; the handlers' `on_welcome` runs once events can be sent.
  virtual void start() = 0;

  /// Queues `frame_json` (one JSON object, no newline) whose ack will carry `id`; `tag` comes
  /// back in the matching `ack_event`. With `intended` set, the ack's latency runs from then,
  /// when the frame should have been sent, so that a sender that fell behind (or a router
  /// that held up our writes) cannot hide the wait: no coordinated omission.
  virtual void send(std::string_view frame_json, std::string_view id, std::uint64_t tag,
                    std::chrono::steady_clock::time_point intended) = 0;

  /// Like the above, with the latency running from the write.
  void send(std::string_view frame_json, std::string_view id, std::uint64_t tag) {
    send(frame_json, id, tag, {});
  }

  /// Closes the connection; no callback runs afterwards.
  virtual void close() = 0;

  /// Events sent whose ack has not arrived.
  virtual std::size_t pending_acks() const = 0;

  /// Frames received that could not be decoded.
  virtual std::uint64_t bad_frames() const = 0;

  /// Names the connection in log lines.
  virtual const std::string& name() const = 0;
};

/// One NDJSON connection to the router, on one io_context thread.
///
/// `start()` connects (retrying a refused connect for `connect_retry_window`), sends the hello
/// and reports the welcome. `send()` may be called at any time after construction: frames are
/// queued until the connection is up and written in batches, one write in flight at a time.
/// Each sent frame's id and write time wait in a FIFO; as acks on one connection come in frame
/// order, the ack at the head normally matches at once. The client must outlive its pending
/// handlers: keep it alive until the io_context has stopped running.
class wire_client : public event_client {
public:
  wire_client(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
              wire_client_options options, wire_handlers handlers);

  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;

  /// Connects and sends the hello.
  void start() override;

  using event_client::send;
  void send(std::string_view frame_json, std::string_view id, std::uint64_t tag,
            std::chrono::steady_clock::time_point intended) override;

  /// Closes the socket; no callback runs afterwards.
  void close() override;

  std::size_t pending_acks() const override { return pending_.size(); }

  /// Whether the welcome arrived and the connection is still up.
  bool ready() const { return welcomed_ && !closed_; }

  const std::string& name() const override { return options_.name; }

  /// The session id from the welcome.
  const std::string& session() const { return session_; }

  std::uint64_t bad_frames() const override { return bad_frames_; }

private:
  struct pending_ack {
    std::string id;
    std::uint64_t tag = 0;
    std::chrono::steady_clock::time_point written_at;
    /// When set, latency runs from here instead of `written_at`.
    std::chrono::steady_clock::time_point intended;
  };

  void connect();

  void on_connect(const boost::system::error_code& error);

  void read();

  void on_read(const boost::system::error_code& error, std::size_t bytes);

  void handle_line(std::string_view line);

  void handle_ack(const frame& ack);

  void flush();

  void fail(std::string reason);

  void warn(std::string line);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer retry_timer_;
  wire_client_options options_;
  wire_handlers handlers_;

  std::chrono::steady_clock::time_point first_attempt_;
  bool retry_warned_ = false;
  bool connected_ = false;
  bool welcomed_ = false;
  bool closed_ = false;
  std::string session_;

  // Incoming bytes; [0, read_size_) is filled and holds at most one partial line at rest.
  std::vector<char> read_buffer_;
  std::size_t read_size_ = 0;
  frame_decoder decoder_;
  frame frame_;
  std::uint64_t bad_frames_ = 0;

  // Frames queued since the last write started, and the batch being written now.
  std::string queued_;
  std::string writing_;
  bool write_in_flight_ = false;
  std::deque<pending_ack> pending_;
  // The last `unwritten_` entries of `pending_` are still in `queued_`: their clock starts at
  // the write, so that the measured latency excludes time spent behind our own earlier write.
  std::size_t unwritten_ = 0;
};

/// Acknowledges the delivery `delivery` (its raw JSON token, as `frame::delivery` keeps it)
/// with a `delivery.ack` frame of id `id`, built in `json`.
void send_delivery_ack(event_client& client, json_writer& json, const std::string& id,
                       std::string_view delivery, std::uint64_t tag);

}  // namespace blendroute::load
