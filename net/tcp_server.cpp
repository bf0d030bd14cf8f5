// Asio TCP server: NDJSON framing, hello and roles, ordered acks, bounded buffers.
#include "net/tcp_server.hpp"

#include <atomic>
#include <deque>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <simdjson.h>

#include "net/frame_decoder.hpp"
#include "net/frame_encoder.hpp"
#include "net/session_registry.hpp"

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::string_view component = "net.tcp";

/// Frames whose acks are still outstanding before the connection stops reading: a client
/// that pipelines faster than the journal commits is slowed down instead of buffered.
constexpr std::size_t max_unacked_frames = 8192;

/// Bytes of unsent output a slow reader may leave before it is disconnected.
constexpr std::size_t max_pending_output = 16u << 20;

constexpr std::size_t read_chunk = 64u << 10;

/// The longest hello accepted; anything longer before authentication is refused.
constexpr std::size_t max_hello_bytes = 4096;

std::string token_for(const auth_config& auth, role who) {
  switch (who) {
    case role::gateway:
      return auth.gateway;
    case role::bot:
      return auth.bot;
    case role::agent:
      return auth.agent;
    case role::supervisor:
      return auth.supervisor;
    case role::admin:
      return auth.admin;
  }
  return {};
}

/// Constant-time comparison, so that a token cannot be guessed byte by byte from timing.
bool tokens_match(const std::string& expected, const std::string& given) {
  if (expected.empty() || expected.size() != given.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ given[i]);
  }
  return diff == 0;
}

bool is_customer_event(event_type t) {
  return t == event_type::customer_message || t == event_type::customer_csat
         || t == event_type::customer_left;
}

bool names_agent(event_type t) {
  return t == event_type::agent_status || t == event_type::agent_accept
         || t == event_type::agent_decline || t == event_type::agent_reply
         || t == event_type::agent_transfer || t == event_type::agent_passback
         || t == event_type::agent_resolve;
}

struct server_shared {
  const listener_config& listener;
  const auth_config& auth;
  actors::ingress_port& port;
  session_registry& sessions;
  log_sink& log;
  std::atomic<std::uint64_t> next_session{1};

  void log_line(log_level level, const std::string& line) const {
    if (log.enabled(level)) {
      log.write(level, component, line);
    }
  }
};

/// One TCP connection. Runs on a single-threaded io_context, so its members need no lock;
/// other threads reach it only through asio::post.
class connection final : public session, public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket socket, server_shared& shared)
      : socket_(std::move(socket)), hello_timer_(socket_.get_executor()), shared_(shared) {
    // Small until the client proves who it is; it grows up to the frame limit as needed.
    buffer_.resize(read_chunk + simdjson::SIMDJSON_PADDING);
    boost::system::error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    peer_ = ec ? std::string("unknown")
               : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  void start() {
    // A client that does not authenticate in time is dropped, so that unauthenticated
    // connections cannot pile up holding buffers.
    hello_timer_.expires_after(shared_.listener.hello_timeout);
    hello_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->authenticated_) {
        self->shared_.log_line(log_level::debug, "hello_timeout peer=" + self->peer_);
        self->shutdown();
      }
    });
    read();
  }

  tcp::socket::executor_type executor() { return socket_.get_executor(); }

  void deliver(std::shared_ptr<const std::string> line) override {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), line = std::move(line)] { self->queue_output(*line); });
  }

  void close() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
  }

private:
  void read() {
    if (closed_ || reading_ || read_closed_ || closing_) {
      return;
    }
    if (pending_acks_.size() >= max_unacked_frames) {
      return;  // Resumed by complete_ack once the journal has caught up.
    }
    reading_ = true;
    if (buffer_.size() - filled_ - simdjson::SIMDJSON_PADDING < read_chunk / 2
        && buffer_.size() < frame_limit() + read_chunk + simdjson::SIMDJSON_PADDING) {
      buffer_.resize(
          std::min(buffer_.size() * 2, frame_limit() + read_chunk + simdjson::SIMDJSON_PADDING));
    }
    const std::size_t room = buffer_.size() - filled_ - simdjson::SIMDJSON_PADDING;
    socket_.async_read_some(asio::buffer(buffer_.data() + filled_, room),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  /// `reading_` stays set while the frames are handled, so that an ack completed meanwhile
  /// does not start a second read into the buffer being split.
  void on_read(boost::system::error_code ec, std::size_t n) {
    if (ec == asio::error::eof && !closed_) {
      // The client has finished sending (it may have half-closed): every frame it sent
      // still gets its ack before the connection closes.
      reading_ = false;
      read_closed_ = true;
      if (filled_ > 0 && !discarding_) {
        shared_.log_line(log_level::debug, "partial_frame_dropped peer=" + peer_
                                               + " bytes=" + std::to_string(filled_));
      }
      close_when_answered();
      return;
    }
    if (ec) {
      reading_ = false;
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        shared_.log_line(log_level::debug, "read_failed peer=" + peer_ + " error=" + ec.message());
      }
      if (filled_ > 0 && !discarding_) {
        // A client that vanished mid-frame: the partial frame was never complete, so it is
        // neither applied nor acked.
        shared_.log_line(log_level::debug, "partial_frame_dropped peer=" + peer_
                                               + " bytes=" + std::to_string(filled_));
      }
      shutdown();
      return;
    }
    filled_ += n;
    split_frames();
    reading_ = false;
    read();
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
          handle_frame(buffer_.data() + start, length);
        }
      }
      start = end + 1;
      if (closed_ || closing_) {
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

  /// The longest frame this connection accepts now: a hello is small, so a client that has
  /// not said one cannot make the server hold a large buffer for it.
  std::size_t frame_limit() const {
    return authenticated_ ? shared_.listener.max_frame_bytes
                          : std::min(shared_.listener.max_frame_bytes, max_hello_bytes);
  }

  /// Before a hello, an oversized frame is just another frame that is not a hello.
  void reject_oversized() {
    if (!authenticated_) {
      reject_frame({errc::unauthorized, "the first frame must be a hello"});
      close_after_flush();
      return;
    }
    reject_frame({errc::frame_too_large, "frame longer than "
                                             + std::to_string(shared_.listener.max_frame_bytes)
                                             + " bytes; skipped to the next newline"});
  }

  static bool is_blank(const char* data, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
      if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  void handle_frame(const char* data, std::size_t length) {
    thread_local frame_decoder decoder;
    // The buffer always has SIMDJSON_PADDING readable bytes after the data.
    const std::size_t capacity = buffer_.size() - static_cast<std::size_t>(data - buffer_.data());
    decoded_frame frame = decoder.decode(data, length, capacity);

    if (!authenticated_) {
      authenticate(frame);
      return;
    }
    // The decoder reports every malformed hello as unauthorized; on a session that has
    // said hello, any hello is simply one too many.
    if (frame.hello || (frame.err && frame.err->code == errc::unauthorized)) {
      reject_frame({errc::bad_value, "this session has already said hello"}, frame.id);
      return;
    }
    if (frame.err) {
      reject_frame(*frame.err, frame.id);
      return;
    }

    ingress_event& event = *frame.event;
    if (!may_send(role_, event.type)) {
      reject_frame({errc::forbidden, "role " + std::string(name(role_)) + " may not send "
                                         + std::string(name(event.type))},
                   event.id);
      return;
    }
    if (role_ == role::agent && names_agent(event.type) && event.agent != agent_) {
      reject_frame({errc::forbidden, "this session speaks for agent " + agent_}, event.id);
      return;
    }
    const bool delivery_ack = event.type == event_type::delivery_ack;
    if (delivery_ack && !shared_.sessions.may_acknowledge(event.delivery, role_, agent_)) {
      reject_frame({errc::not_owner, "delivery " + event.delivery + " went to another receiver"},
                   event.id);
      return;
    }
    // The gateway that most recently sent an accepted customer event carries the
    // conversation. The ack callback runs before the event's effects are sent, so the
    // first reply already finds this gateway.
    const bool carries = role_ == role::gateway && is_customer_event(event.type);
    const bool bot_answer = event.type == event_type::bot_reply;
    const std::uint64_t seq = reserve_ack();
    std::string id = event.id;
    std::string delivery = delivery_ack ? event.delivery : std::string{};
    shared_.port.submit(
        std::move(event), [self = shared_from_this(), seq, id = std::move(id), carries, bot_answer,
                           delivery = std::move(delivery)](actors::ack answer) {
          if (bot_answer && answer.status == actors::ack_status::ok && !answer.conv.empty()) {
            self->shared_.sessions.bot_answered(answer.conv);
          }
          if (carries && answer.status == actors::ack_status::ok && !answer.conv.empty()) {
            self->shared_.sessions.carry(answer.conv, self);
          }
          // Re-sends stop once the ack is journaled (a duplicate ack was journaled before).
          if (!delivery.empty() && answer.status != actors::ack_status::rejected) {
            self->shared_.sessions.acknowledge(delivery);
          }
          auto line = std::make_shared<std::string>();
          encode_ack(*line, id, answer);
          asio::post(self->socket_.get_executor(),
                     [self, seq, line] { self->complete_ack(seq, std::move(*line)); });
        });
  }

  void authenticate(const decoded_frame& frame) {
    if (!frame.hello) {
      const bool bad_hello = frame.err && frame.err->code == errc::unauthorized;
      reject_frame(
          {errc::unauthorized, bad_hello ? frame.err->message : "the first frame must be a hello"},
          frame.id);
      close_after_flush();
      return;
    }
    const hello_frame& hello = *frame.hello;
    if (!tokens_match(token_for(shared_.auth, hello.who), hello.token)) {
      shared_.log_line(log_level::debug,
                       "hello_refused peer=" + peer_ + " role=" + std::string(name(hello.who)));
      reject_frame({errc::unauthorized, "wrong token for role " + std::string(name(hello.who))},
                   frame.id);
      close_after_flush();
      return;
    }
    authenticated_ = true;
    role_ = hello.who;
    agent_ = hello.agent;
    session_id_ = "s" + std::to_string(shared_.next_session.fetch_add(1));
    shared_.sessions.add(shared_from_this(), role_, agent_);
    registered_ = true;
    shared_.log_line(log_level::debug, "session_opened peer=" + peer_ + " session=" + session_id_
                                           + " role=" + std::string(name(role_))
                                           + (agent_.empty() ? "" : " agent=" + agent_));
    std::string line;
    encode_welcome(line, role_, session_id_);
    complete_ack(reserve_ack(), std::move(line));
  }

  void reject_frame(const error& err, const std::string& id = {}) {
    std::string line;
    encode_ack(line, id, actors::ack::rejected(err.code, err.message));
    complete_ack(reserve_ack(), std::move(line));
  }

  std::uint64_t reserve_ack() {
    pending_acks_.emplace_back();
    return first_pending_ + pending_acks_.size() - 1;
  }

  /// Fills the slot of frame `seq`, then writes every ack that no earlier frame holds back.
  void complete_ack(std::uint64_t seq, std::string line) {
    if (closed_) {
      return;
    }
    pending_acks_[seq - first_pending_] = std::move(line);
    while (!pending_acks_.empty() && pending_acks_.front()) {
      queue_output(*pending_acks_.front());
      pending_acks_.pop_front();
      ++first_pending_;
    }
    if (read_closed_) {
      close_when_answered();
    } else if (!reading_ && pending_acks_.size() < max_unacked_frames / 2) {
      read();
    }
  }

  void close_when_answered() {
    if (pending_acks_.empty()) {
      close_after_flush();
    }
  }

  void queue_output(const std::string& line) {
    if (closed_) {
      return;
    }
    if (output_.size() + line.size() > max_pending_output) {
      shared_.log_line(log_level::warn,
                       "slow_consumer_disconnected peer=" + peer_ + " session=" + session_id_);
      shutdown();
      return;
    }
    output_ += line;
    flush();
  }

  void flush() {
    if (writing_ || output_.empty() || closed_) {
      return;
    }
    writing_ = true;
    in_flight_.swap(output_);
    output_.clear();
    asio::async_write(socket_, asio::buffer(in_flight_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->in_flight_.clear();
                        if (ec) {
                          self->shutdown();
                          return;
                        }
                        if (self->closing_ && self->output_.empty()) {
                          self->shutdown();
                          return;
                        }
                        self->flush();
                      });
  }

  void close_after_flush() {
    closing_ = true;
    if (!writing_ && output_.empty()) {
      shutdown();
    }
  }

  void shutdown() {
    if (closed_) {
      return;
    }
    closed_ = true;
    if (registered_) {
      shared_.sessions.remove(this, role_, agent_);
      shared_.log_line(log_level::debug, "session_closed session=" + session_id_);
    }
    hello_timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer hello_timer_;
  server_shared& shared_;
  std::string peer_;
  std::vector<char> buffer_;
  std::size_t filled_ = 0;
  bool discarding_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool read_closed_ = false;  ///< The client sent end of stream.
  bool closed_ = false;
  bool authenticated_ = false;
  bool registered_ = false;
  role role_ = role::gateway;
  std::string agent_;
  std::string session_id_;
  std::deque<std::optional<std::string>> pending_acks_;
  std::uint64_t first_pending_ = 0;
  std::string output_;
  std::string in_flight_;
};

}  // namespace

struct tcp_server::impl {
  impl(const listener_config& listener, const auth_config& auth, actors::ingress_port& port,
       session_registry& sessions, log_sink& log)
      : shared{listener, auth, port, sessions, log} {}

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
      boost::system::error_code option_ec;
      socket.set_option(tcp::no_delay(true), option_ec);
      auto conn = std::make_shared<connection>(std::move(socket), shared);
      {
        std::lock_guard<std::mutex> lock(connections_mutex);
        if (connections.size() >= prune_at) {
          std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
          prune_at = std::max<std::size_t>(1024, connections.size() * 2);
        }
        connections.push_back(conn);
      }
      asio::post(conn->executor(), [conn] { conn->start(); });
      accept_next();
    });
  }

  server_shared shared;
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
  std::vector<std::weak_ptr<connection>> connections;  ///< For closing them all at stop.
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
  impl_->shared.log_line(log_level::info,
                         "listening addr=" + listener.host + ":" + std::to_string(port)
                             + " io_threads=" + std::to_string(listener.io_threads));
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
