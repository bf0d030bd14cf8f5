// Asio TCP server: NDJSON framing over the shared stream session, bounded buffers.
#include "net/tcp_server.hpp"

#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <simdjson.h>

#include "net/connection_limit.hpp"
#include "net/frame_encoder.hpp"
#include "net/session_registry.hpp"
#include "net/stream_session.hpp"
#include "net/tls.hpp"

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t read_chunk = 64u << 10;

/// Refuses a connection over listen.max_connections: on a plain listener one `rejected`
/// ack, then the close (a TLS client only sees the close). The client should read the ack
/// before it sends; what it sent first may turn the close into a reset that loses the ack.
void refuse_connection(tcp::socket socket, const stream_listener& listener, bool tls) {
  boost::system::error_code ec;
  if (!tls) {
    std::string line;
    encode_ack(line, {},
               actors::ack::rejected(errc::unavailable,
                                     "the router holds listen.max_connections connections ("
                                         + std::to_string(listener.listener.max_connections)
                                         + "); try again later or elsewhere"));
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(line), ec);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

using tls_stream = asio::ssl::stream<tcp::socket>;

/// One TCP connection, plain (`Stream` a tcp::socket) or TLS: NDJSON lines in, lines out.
/// Runs on a single-threaded io_context, so its members need no lock; other threads reach
/// it only through asio::post.
template <class Stream>
class connection final : public stream_session {
public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

  connection(Stream stream, stream_listener& listener, connection_limit::slot slot)
      : stream_session(stream.get_executor(), listener, peer_of(stream.lowest_layer())),
        stream_(std::move(stream)),
        hello_timer_(stream_.get_executor()),
        idle_timer_(stream_.get_executor()),
        slot_(std::move(slot)) {
    // Small until the client proves who it is; it grows up to the frame limit as needed.
    buffer_.resize(read_chunk + simdjson::SIMDJSON_PADDING);
  }

  void start() {
    // A client that does not authenticate in time is dropped, so that unauthenticated
    // connections cannot pile up holding buffers.
    hello_timer_.expires_after(listener_.listener.hello_timeout);
    hello_timer_.async_wait([self = shared_from_this(), this](boost::system::error_code ec) {
      if (!ec && !authenticated()) {
        listener_.log_line(log_level::debug, "hello_timeout peer=" + peer());
        shutdown();
      }
    });
    if (listener_.listener.idle_timeout.count() > 0) {
      last_received_ = std::chrono::steady_clock::now();
      watch_idle(listener_.listener.idle_timeout);
    }
    if constexpr (is_tls) {
      // The handshake counts against the hello timeout: a client that never finishes it is
      // dropped like one that never says hello.
      stream_.async_handshake(
          asio::ssl::stream_base::server, [self = self()](boost::system::error_code ec) {
            if (ec) {
              self->listener_.log_line(log_level::debug, "tls_handshake_failed peer=" + self->peer()
                                                             + " error=" + ec.message());
              self->shutdown();
              return;
            }
            self->read();
          });
    } else {
      read();
    }
  }

private:
  /// The idle timer is re-armed lazily: a read only notes its time, and the timer, when it
  /// fires, waits again for whatever is left of the timeout since then.
  void watch_idle(std::chrono::steady_clock::duration wait) {
    idle_timer_.expires_after(wait);
    idle_timer_.async_wait([self = self()](boost::system::error_code ec) {
      if (ec || self->closed()) {
        return;
      }
      const auto timeout = self->listener_.listener.idle_timeout;
      const auto quiet = std::chrono::steady_clock::now() - self->last_received_;
      if (quiet < timeout) {
        self->watch_idle(timeout - quiet);
        return;
      }
      self->listener_.sessions.counters().idle_sessions_closed.fetch_add(1,
                                                                         std::memory_order_relaxed);
      self->listener_.log_line(log_level::debug, "idle_session_closed peer=" + self->peer()
                                                     + " session=" + self->session_id());
      self->shutdown();
    });
  }

  template <class Socket>
  static std::string peer_of(const Socket& socket) {
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string("unknown")
              : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  std::shared_ptr<connection> self() {
    return std::static_pointer_cast<connection>(shared_from_this());
  }

  void read() {
    if (closed() || reading_ || read_closed_ || closing_ || !may_read()) {
      return;  // Resumed by read_more() once the journal has caught up.
    }
    reading_ = true;
    const std::size_t room = make_read_room(buffer_, filled_, read_chunk);
    stream_.async_read_some(
        asio::buffer(buffer_.data() + filled_, room),
        [self = self()](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void read_more() override { read(); }

  /// `reading_` stays set while the frames are handled, so that an ack completed meanwhile
  /// does not start a second read into the buffer being split.
  void on_read(boost::system::error_code ec, std::size_t n) {
    if (ec == asio::error::eof && !closed()) {
      // The client has finished sending (it may have half-closed): every frame it sent
      // still gets its ack before the connection closes.
      reading_ = false;
      read_closed_ = true;
      log_partial_frame();
      peer_finished();
      return;
    }
    if (ec) {
      reading_ = false;
      if (ec != asio::error::operation_aborted) {
        listener_.log_line(log_level::debug,
                           "read_failed peer=" + peer() + " error=" + ec.message());
      }
      // A client that vanished mid-frame: the partial frame was never complete, so it is
      // neither applied nor acked.
      log_partial_frame();
      shutdown();
      return;
    }
    filled_ += n;
    if (listener_.listener.idle_timeout.count() > 0) {
      last_received_ = std::chrono::steady_clock::now();
    }
    split_frames();
    reading_ = false;
    read();
  }

  void log_partial_frame() {
    if (filled_ > 0 && !discarding_) {
      listener_.log_line(log_level::debug, "partial_frame_dropped peer=" + peer()
                                               + " bytes=" + std::to_string(filled_));
    }
  }

  /// Handles every complete line in the buffer, then keeps the partial tail.
  void split_frames() {
    std::size_t start = 0;
    for (;;) {
      const char* begin = buffer_.data() + start;
      const void* found = std::memchr(begin, '\n', filled_ - start);
      if (found == nullptr) {
        break;
      }
      const std::size_t end =
          static_cast<std::size_t>(static_cast<const char*>(found) - buffer_.data());
      if (discarding_) {
        discarding_ = false;  // The oversized frame ends here; the stream goes on.
      } else {
        std::size_t length = end - start;
        if (length > 0 && buffer_[start + length - 1] == '\r') {
          --length;
        }
        if (length > frame_limit()) {
          reject_oversized();
        } else if (!is_blank(buffer_.data() + start, length)) {
          // The buffer always has SIMDJSON_PADDING readable bytes after the data.
          handle_frame(buffer_.data() + start, length, buffer_.size() - start);
        }
      }
      start = end + 1;
      if (closed() || closing_) {
        return;
      }
    }

    const std::size_t tail = filled_ - start;
    // An incomplete frame may end in the '\r' of a CRLF, which does not count.
    const std::size_t limit = frame_limit() + (tail > 0 && buffer_[filled_ - 1] == '\r' ? 1 : 0);
    if (discarding_) {
      filled_ = 0;
    } else if (tail > limit) {
      reject_oversized();
      discarding_ = true;
      filled_ = 0;
    } else {
      std::memmove(buffer_.data(), buffer_.data() + start, tail);
      filled_ = tail;
    }
  }

  static bool is_blank(const char* data, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
      if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  void write_line(const std::string& line) override {
    if (too_slow(output_.size(), line.size())) {
      shutdown();
      return;
    }
    output_ += line;
    flush();
  }

  void flush() {
    if (writing_ || output_.empty() || closed()) {
      return;
    }
    writing_ = true;
    in_flight_.swap(output_);
    output_.clear();
    asio::async_write(stream_, asio::buffer(in_flight_),
                      [self = self()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->in_flight_.clear();
                        if (ec || (self->closing_ && self->output_.empty())) {
                          self->shutdown();
                          return;
                        }
                        self->flush();
                      });
  }

  void close_after_flush() override {
    closing_ = true;
    if (!writing_ && output_.empty()) {
      shutdown();
    }
  }

  void shutdown() override {
    if (!begin_close()) {
      return;
    }
    hello_timer_.cancel();
    idle_timer_.cancel();
    // A TLS session ends without close_notify: the acks are already written, and waiting
    // for the peer's half of the TLS shutdown could hold the connection indefinitely.
    auto& socket = stream_.lowest_layer();
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  Stream stream_;
  asio::steady_timer hello_timer_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_received_;
  connection_limit::slot slot_;
  std::vector<char> buffer_;
  std::size_t filled_ = 0;
  bool discarding_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool read_closed_ = false;  ///< The client sent end of stream.
  std::string output_;
  std::string in_flight_;
};

}  // namespace

struct tcp_server::impl {
  impl(const listener_config& listener, const auth_config& auth, actors::ingress_port& port,
       session_registry& sessions, log_sink& log)
      : shared{listener, auth, port, sessions, log, "net.tcp"} {
    sessions.counters().tcp_connections.limit_to(listener.max_connections);
  }

  void accept_next() {
    auto& context = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(context, [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          // Out of descriptors, typically: wait a little instead of spinning, and say so
          // once per pause rather than once per attempt.
          shared.log_line(log_level::warn, "accept_failed error=" + ec.message() + " retry_ms=100");
          accept_pause->expires_after(std::chrono::milliseconds{100});
          accept_pause->async_wait([this](boost::system::error_code wait_ec) {
            if (!wait_ec) {
              accept_next();
            }
          });
        }
        return;
      }
      auto slot = shared.sessions.counters().tcp_connections.try_take();
      if (!slot) {
        shared.log_line(log_level::debug, "connection_refused reason=max_connections");
        refuse_connection(std::move(socket), shared, tls != nullptr);
        accept_next();
        return;
      }
      boost::system::error_code option_ec;
      socket.set_option(tcp::no_delay(true), option_ec);
      if (tls) {
        open(std::make_shared<connection<tls_stream>>(tls_stream(std::move(socket), *tls), shared,
                                                      std::move(*slot)));
      } else {
        open(
            std::make_shared<connection<tcp::socket>>(std::move(socket), shared, std::move(*slot)));
      }
      accept_next();
    });
  }

  template <class Connection>
  void open(const std::shared_ptr<Connection>& conn) {
    {
      std::lock_guard<std::mutex> lock(connections_mutex);
      if (connections.size() >= prune_at) {
        std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
        prune_at = std::max<std::size_t>(1024, connections.size() * 2);
      }
      connections.push_back(conn);
    }
    asio::post(conn->executor(), [conn] { conn->start(); });
  }

  stream_listener shared;
  std::shared_ptr<asio::ssl::context> tls;  ///< Set when listen.tcp_tls is on.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_pause;
  std::optional<asio::steady_timer> resend_timer;

  /// Re-sends unacknowledged deliveries whose backoff is over, every 100 ms.
  void resend_deliveries() {
    resend_timer->expires_after(std::chrono::milliseconds{100});
    resend_timer->async_wait([this](boost::system::error_code ec) {
      if (ec) {
        return;
      }
      shared.sessions.resend_due();
      resend_deliveries();
    });
  }

  std::size_t next_context = 0;
  std::mutex connections_mutex;
  std::vector<std::weak_ptr<stream_session>> connections;  ///< For closing them all at stop.
  std::size_t prune_at = 1024;
};

tcp_server::tcp_server(const listener_config& listener, const auth_config& auth,
                       actors::ingress_port& port, session_registry& sessions, log_sink& log)
    : impl_(std::make_unique<impl>(listener, auth, port, sessions, log)) {}

tcp_server::~tcp_server() {
  stop();
}

result<std::uint16_t> tcp_server::start() {
  const auto& listener = impl_->shared.listener;
  if (listener.tcp_tls) {
    auto context = make_tls_server_context(listener);
    if (!context) {
      return context.err();
    }
    impl_->tls = std::move(*context);
  }
  for (int i = 0; i < listener.io_threads; ++i) {
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl_->work.push_back(asio::make_work_guard(*impl_->contexts.back()));
  }

  boost::system::error_code ec;
  auto address = asio::ip::make_address(listener.host, ec);
  if (ec) {
    return error{errc::config_invalid, "listen.host \"" + listener.host + "\": " + ec.message()};
  }
  tcp::endpoint endpoint(address, listener.tcp_port);
  auto& acceptor = impl_->acceptor.emplace(*impl_->contexts.front());
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return error{errc::unavailable, "cannot listen on " + listener.host + ":"
                                        + std::to_string(listener.tcp_port) + ": " + ec.message()};
  }
  const std::uint16_t port = acceptor.local_endpoint(ec).port();
  impl_->accept_pause.emplace(*impl_->contexts.front());
  impl_->resend_timer.emplace(*impl_->contexts.front());

  impl_->accept_next();
  impl_->resend_deliveries();
  for (auto& context : impl_->contexts) {
    impl_->threads.emplace_back([this, ctx = context.get()] {
      // No handler is meant to throw; if a library call does, the connection it served is
      // lost and the thread goes on serving the others.
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          impl_->shared.log_line(log_level::warn,
                                 std::string("handler_failed error=\"") + e.what() + "\"");
        }
      }
    });
  }
  impl_->shared.log_line(log_level::info, "listening addr=" + listener.host + ":"
                                              + std::to_string(port)
                                              + " io_threads=" + std::to_string(listener.io_threads)
                                              + " tls=" + (impl_->tls ? "on" : "off"));
  return port;
}

void tcp_server::stop() {
  if (impl_->threads.empty()) {
    return;
  }
  // Close the acceptor and wait for it, so that no connection is accepted after the walk
  // over the connections below.
  std::promise<void> acceptor_closed;
  asio::post(*impl_->contexts.front(), [this, &acceptor_closed] {
    boost::system::error_code ignored;
    impl_->acceptor->close(ignored);
    impl_->accept_pause->cancel();
    impl_->resend_timer->cancel();
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  {
    std::lock_guard<std::mutex> lock(impl_->connections_mutex);
    for (auto& weak : impl_->connections) {
      if (auto conn = weak.lock()) {
        conn->close();
      }
    }
  }
  impl_->work.clear();
  for (auto& thread : impl_->threads) {
    thread.join();
  }
  impl_->threads.clear();
}

}  // namespace blendroute::net
