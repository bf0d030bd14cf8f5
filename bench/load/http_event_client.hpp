#pragma once
// Events posted to the router's `POST /v1/events` over one keep-alive HTTP/1.1 connection.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bench/load/frame.hpp"
#include "bench/load/wire_client.hpp"

namespace blendroute::load {

/// Settings of one HTTP connection.
struct http_client_options {
  /// Names the connection in log lines, e.g. `http-3`.
  std::string name;
  /// The `Host` header: the address as given.
  std::string host;
  /// `Authorization: Bearer` token.
  std::string token;
  /// Events per request at the most; each request carries what is queued, up to this many,
  /// as an NDJSON body. 1: one event per request, as most HTTP gateways post.
  std::size_t max_batch = 1;
};

/// One keep-alive connection that posts events and matches the NDJSON acks of each answer to
/// them, in order. One request is in flight at a time (no pipelining, as HTTP clients
/// usually do); what is sent meanwhile waits, its latency running all the same. Uses
/// `on_welcome` (connected), `on_ack` and `on_failure` of the handlers; the router pushes
/// nothing over HTTP, so `on_frame` never runs. A non-200 answer, an answer with fewer acks
/// than events, or a closed connection fails the client.
class http_event_client : public event_client {
public:
  http_event_client(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                    http_client_options options, wire_handlers handlers);

  http_event_client(const http_event_client&) = delete;
  http_event_client& operator=(const http_event_client&) = delete;

  void start() override;

  using event_client::send;
  void send(std::string_view frame_json, std::string_view id, std::uint64_t tag,
            std::chrono::steady_clock::time_point intended) override;

  void close() override;

  std::size_t pending_acks() const override { return queued_.size() + in_flight_.size(); }

  std::uint64_t bad_frames() const override { return bad_frames_; }

  const std::string& name() const override { return options_.name; }

  /// Requests answered, for the report.
  std::uint64_t requests() const { return requests_; }

private:
  struct queued_event {
    std::string json;
    std::string id;
    std::uint64_t tag = 0;
    std::chrono::steady_clock::time_point intended;
  };

  void flush();
  void on_response(const boost::system::error_code& error);
  void fail(std::string reason);

  boost::beast::tcp_stream stream_;
  boost::asio::ip::tcp::endpoint endpoint_;
  http_client_options options_;
  wire_handlers handlers_;
  bool connected_ = false;
  bool closed_ = false;
  std::deque<queued_event> queued_;
  /// The events of the request in flight, in body order, and when it was written.
  std::vector<queued_event> in_flight_;
  std::chrono::steady_clock::time_point written_at_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  boost::beast::flat_buffer buffer_;
  frame_decoder decoder_;
  frame frame_;
  std::uint64_t bad_frames_ = 0;
  std::uint64_t requests_ = 0;
};

}  // namespace blendroute::load
