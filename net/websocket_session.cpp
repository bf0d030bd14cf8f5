// Beast WebSocket transport under the shared stream session.
#include "net/websocket_session.hpp"

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <simdjson.h>

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t read_chunk = 16u << 10;

/// Without listen.idle_timeout, a stream that receives nothing for half this long is
/// pinged, and closed when the ping goes unanswered: dead peers behind a NAT do not hold
/// sessions forever, and live ones answer pings by themselves.
constexpr std::chrono::seconds idle_ping_after{300};

/// One WebSocket connection. Each message in is one frame, each line out one text message.
/// Messages are read in pieces into a buffer of the frame limit, so that an oversized one is
/// answered `frame_too_large` and skipped while the stream goes on, as on TCP.
template <class NextLayer>
class websocket_connection final : public stream_session {
public:
  websocket_connection(NextLayer next, stream_listener& listener, std::string peer,
                       connection_limit::slot slot)
      : stream_session(next.get_executor(), listener, std::move(peer)),
        ws_(std::move(next)),
        hello_timer_(ws_.get_executor()),
        slot_(std::move(slot)) {
    buffer_.resize(read_chunk + simdjson::SIMDJSON_PADDING);
  }

  void start(const http::request<http::string_body>& upgrade) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = listener_.listener.hello_timeout;
    const auto idle = listener_.listener.idle_timeout;
    timeouts.idle_timeout = idle.count() > 0 ? std::chrono::steady_clock::duration(idle)
                                             : std::chrono::steady_clock::duration(idle_ping_after);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::server, "blendroute");
    }));
    // The frame limit is enforced below, piece by piece; Beast's own limit would fail the
    // whole connection instead.
    ws_.read_message_max(0);
    ws_.text(true);
    ws_.async_accept(upgrade, [self = self()](beast::error_code ec) { self->on_accept(ec); });
  }

private:
  std::shared_ptr<websocket_connection> self() {
    return std::static_pointer_cast<websocket_connection>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      listener_.log_line(log_level::debug,
                         "handshake_failed peer=" + peer() + " error=" + ec.message());
      shutdown();
      return;
    }

    // A client that does not authenticate in time is dropped, as on TCP.
    hello_timer_.expires_after(listener_.listener.hello_timeout);
    hello_timer_.async_wait([self = self()](boost::system::error_code wait_ec) {
      if (!wait_ec && !self->authenticated()) {
        self->listener_.log_line(log_level::debug, "hello_timeout peer=" + self->peer());
        self->close_after_flush();  // With a close frame (1008), as a failed hello gets.
      }
    });
    handshake_done_ = true;
    read();
  }

  void read() {
    if (closed() || reading_ || closing_ || !handshake_done_ || !may_read()) {
      return;  // Resumed by read_more() once the journal has caught up.
    }
    reading_ = true;
    const std::size_t room = make_read_room(buffer_, filled_, read_chunk);
    ws_.async_read_some(
        asio::buffer(buffer_.data() + filled_, room),
        [self = self()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void read_more() override { read(); }

  /// Blanks only, as on TCP: ignored, not a frame.
  static bool is_blank(const char* data, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
      if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n') {
        return false;
      }
    }
    return true;
  }

  /// `reading_` stays set while the frame is handled, so that an ack completed meanwhile
  /// does not start a second read into the buffer being parsed.
  void on_read(beast::error_code ec, std::size_t n) {
    if (ec) {
      reading_ = false;
      // A close message from the peer, or its end of stream (Beast reports both as closed),
      // ends the session like a full TCP close: Beast writes nothing after it, so acks still
      // in flight are lost while their events stand (a retry is `duplicate`).
      // TODO(net): keep writing acks after a peer's close message until they are all out
      // (RFC 6455 allows it), which needs writes below Beast's closed stream state.
      // Text that is not UTF-8 fails the connection (RFC 6455 §8.1): Beast answers it with
      // close code 1007 and the read ends here.
      if (ec == beast::error::timeout && handshake_done_) {
        // The ping sent at half the idle time went unanswered, or listen.idle_timeout passed.
        listener_.sessions.counters().idle_sessions_closed.fetch_add(1, std::memory_order_relaxed);
      }
      if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
        listener_.log_line(log_level::debug,
                           "read_failed peer=" + peer() + " error=" + ec.message());
      }
      if (filled_ > 0 && !discarding_) {
        listener_.log_line(log_level::debug, "partial_frame_dropped peer=" + peer()
                                                 + " bytes=" + std::to_string(filled_));
      }
      shutdown();
      return;
    }

    filled_ += n;
    const bool message_done = ws_.is_message_done();
    // A client may end its message with the CRLF or newline it would send on TCP; like on
    // TCP, it does not count against the frame limit.
    constexpr std::size_t line_end = 2;
    if (discarding_) {
      filled_ = 0;
      discarding_ = !message_done;  // The oversized frame ends with its message.
    } else if (filled_ > frame_limit() + line_end) {
      reject_oversized();
      filled_ = 0;
      discarding_ = !message_done;
    } else if (message_done) {
      std::size_t length = filled_;
      if (length > 0 && buffer_[length - 1] == '\n') {
        --length;
      }
      if (length > 0 && buffer_[length - 1] == '\r') {
        --length;
      }
      if (length > frame_limit()) {
        reject_oversized();
      } else if (!is_blank(buffer_.data(), length)) {
        handle_frame(buffer_.data(), length, buffer_.size());
      }
      filled_ = 0;
    }
    reading_ = false;
    read();
  }

  void write_line(const std::string& line) override {
    if (too_slow(outbox_bytes_, line.size())) {
      shutdown();  // A close frame would wait behind what it cannot read.
      return;
    }
    // One JSON object per message: the newline that ends a TCP line is not part of it.
    const std::size_t length = !line.empty() && line.back() == '\n' ? line.size() - 1 : line.size();
    outbox_.emplace_back(line, 0, length);
    outbox_bytes_ += length;
    flush();
  }

  void flush() {
    if (writing_ || closed()) {
      return;
    }
    if (outbox_.empty()) {
      if (closing_) {
        send_close();
      }
      return;
    }
    writing_ = true;
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = self()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->outbox_bytes_ -= self->outbox_.front().size();
                      self->outbox_.pop_front();
                      if (ec) {
                        self->shutdown();
                        return;
                      }
                      self->flush();
                    });
  }

  void close_after_flush() override {
    closing_ = true;
    flush();
  }

  /// The closing handshake, once everything queued is written; bounded by the handshake
  /// timeout, then the socket is closed whatever the peer does.
  void send_close() {
    if (close_sent_ || !handshake_done_) {
      shutdown();
      return;
    }
    close_sent_ = true;
    const auto code =
        authenticated() ? websocket::close_code::normal : websocket::close_code::policy_error;
    ws_.async_close(code, [self = self()](beast::error_code) { self->shutdown(); });
  }

  void shutdown() override {
    if (!begin_close()) {
      return;
    }
    hello_timer_.cancel();
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  websocket::stream<NextLayer> ws_;
  asio::steady_timer hello_timer_;
  connection_limit::slot slot_;
  std::vector<char> buffer_;
  std::size_t filled_ = 0;
  bool discarding_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool handshake_done_ = false;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
};

template <class NextLayer>
std::shared_ptr<stream_session> start(NextLayer next,
                                      const http::request<http::string_body>& upgrade,
                                      stream_listener& listener, connection_limit::slot slot) {
  beast::error_code ec;
  auto endpoint = beast::get_lowest_layer(next).socket().remote_endpoint(ec);
  std::string peer = ec ? std::string("unknown")
                        : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  auto session = std::make_shared<websocket_connection<NextLayer>>(
      std::move(next), listener, std::move(peer), std::move(slot));
  session->start(upgrade);
  return session;
}

}  // namespace

std::shared_ptr<stream_session> start_websocket_session(
    tcp::socket socket, const http::request<http::string_body>& upgrade, stream_listener& listener,
    connection_limit::slot slot) {
  return start(beast::tcp_stream(std::move(socket)), upgrade, listener, std::move(slot));
}

std::shared_ptr<stream_session> start_websocket_session(
    beast::ssl_stream<beast::tcp_stream> stream, const http::request<http::string_body>& upgrade,
    stream_listener& listener, connection_limit::slot slot) {
  return start(std::move(stream), upgrade, listener, std::move(slot));
}

}  // namespace blendroute::net
