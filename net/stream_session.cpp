// The frame-stream protocol shared by the TCP and WebSocket listeners.
#include "net/stream_session.hpp"

#include <algorithm>
#include <atomic>

#include <boost/asio/post.hpp>
#include <simdjson.h>

#include "net/frame_decoder.hpp"
#include "net/frame_encoder.hpp"
#include "net/role_tokens.hpp"

namespace blendroute::net {
namespace {

/// Session ids are unique across listeners: a supervisor reading the logs cannot tell a
/// TCP session from a WebSocket one by its id alone.
std::atomic<std::uint64_t> next_session_number{1};

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

}  // namespace

stream_session::stream_session(boost::asio::any_io_executor executor, stream_listener& listener,
                               std::string peer)
    : listener_(listener), executor_(std::move(executor)), peer_(std::move(peer)) {}

void stream_session::deliver(std::shared_ptr<const std::string> line) {
  boost::asio::post(executor_, [self = shared_from_this(), line = std::move(line)] {
    if (!self->closed_) {
      self->write_line(*line);
    }
  });
}

void stream_session::close() {
  boost::asio::post(executor_, [self = shared_from_this()] { self->shutdown(); });
}

std::size_t stream_session::frame_limit() const {
  return authenticated_ ? listener_.listener.max_frame_bytes
                        : std::min(listener_.listener.max_frame_bytes, max_hello_bytes);
}

std::size_t stream_session::make_read_room(std::vector<char>& buffer, std::size_t filled,
                                           std::size_t chunk) const {
  constexpr std::size_t padding = simdjson::SIMDJSON_PADDING;
  const std::size_t most = frame_limit() + chunk + padding;
  if (buffer.size() - filled - padding < chunk / 2 && buffer.size() < most) {
    buffer.resize(std::min(buffer.size() * 2, most));
  }
  return buffer.size() - filled - padding;
}

void stream_session::reject_oversized() {
  if (!authenticated_) {
    // Before a hello the server buffers no more than a hello needs for anyone who connects.
    reject_frame({errc::unauthorized, "the first frame must be a hello of at most "
                                          + std::to_string(frame_limit()) + " bytes"});
    close_after_flush();
    return;
  }
  reject_frame({errc::frame_too_large, "frame longer than "
                                           + std::to_string(listener_.listener.max_frame_bytes)
                                           + " bytes; skipped to the next frame"});
}

void stream_session::peer_finished() {
  peer_finished_ = true;
  if (pending_acks_.empty()) {
    close_after_flush();
  }
}

bool stream_session::too_slow(std::size_t queued, std::size_t more) {
  if (queued + more <= listener_.listener.max_send_queue_bytes) {
    return false;
  }
  listener_.sessions.counters().slow_consumers_disconnected.fetch_add(1, std::memory_order_relaxed);
  listener_.log_line(log_level::warn, "slow_consumer_disconnected peer=" + peer_
                                          + " session=" + session_id_
                                          + " unsent_bytes=" + std::to_string(queued));
  return true;
}

bool stream_session::begin_close() {
  if (closed_) {
    return false;
  }
  closed_ = true;
  if (registered_) {
    listener_.sessions.remove(this, role_, agent_);
    listener_.log_line(log_level::debug, "session_closed session=" + session_id_);
  }
  return true;
}

void stream_session::handle_frame(const char* data, std::size_t length, std::size_t capacity) {
  thread_local frame_decoder decoder;
  decoded_frame frame = decoder.decode(data, length, capacity);

  if (!authenticated_) {
    authenticate(frame);
    return;
  }
  // The decoder reports most malformed hellos as unauthorized; on a session that has said
  // hello, any hello is simply one too many.
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
  if (delivery_ack && !listener_.sessions.may_acknowledge(event.delivery, role_, agent_)) {
    reject_frame({errc::not_owner, "delivery " + event.delivery + " went to another receiver"},
                 event.id);
    return;
  }

  // The gateway that most recently sent an accepted customer event carries the
  // conversation. The ack callback runs before the event's effects are sent, so the first
  // reply already finds this gateway.
  const bool carries = role_ == role::gateway && is_customer_event(event.type);
  const event_type type = event.type;
  std::string agent = event.agent;
  const std::uint64_t seq = reserve_ack();
  std::string id = event.id;
  std::string delivery = delivery_ack ? event.delivery : std::string{};
  listener_.port.submit(std::move(event), [self = shared_from_this(), seq, id = std::move(id),
                                           carries, type, agent = std::move(agent),
                                           delivery = std::move(delivery)](actors::ack answer) {
    auto& sessions = self->listener_.sessions;
    if (answer.status == actors::ack_status::ok && !answer.conv.empty()) {
      sessions.event_accepted(type, answer.conv, agent);
    }
    if (carries && answer.status == actors::ack_status::ok && !answer.conv.empty()) {
      sessions.carry(answer.conv, self);
    }
    // Re-sends stop once the ack is journaled (a duplicate ack was journaled before).
    if (!delivery.empty() && answer.status != actors::ack_status::rejected) {
      sessions.acknowledge(delivery);
    }
    auto line = std::make_shared<std::string>();
    encode_ack(*line, id, answer);
    boost::asio::post(self->executor_,
                      [self, seq, line] { self->complete_ack(seq, std::move(*line)); });
  });
}

void stream_session::authenticate(const decoded_frame& frame) {
  if (!frame.hello) {
    // A malformed hello says what is wrong with it; any other frame is simply not a hello
    // (with the reason it would have been refused anyway, for the client's log).
    const bool bad_hello = frame.err && frame.err->code == errc::unauthorized;
    reject_frame(
        {errc::unauthorized,
         bad_hello   ? frame.err->message
         : frame.err ? "the first frame must be a hello (and this one: " + frame.err->message + ")"
                     : std::string("the first frame must be a hello")},
        frame.id);
    close_after_flush();
    return;
  }
  const hello_frame& hello = *frame.hello;
  if (!tokens_match(token_for(listener_.auth, hello.who), hello.token)) {
    listener_.log_line(log_level::debug,
                       "hello_refused peer=" + peer_ + " role=" + std::string(name(hello.who)));
    reject_frame({errc::unauthorized, "wrong token for role " + std::string(name(hello.who))},
                 frame.id);
    close_after_flush();
    return;
  }

  authenticated_ = true;
  role_ = hello.who;
  agent_ = hello.agent;
  session_id_ = "s" + std::to_string(next_session_number.fetch_add(1));
  listener_.log_line(log_level::debug, "session_opened peer=" + peer_ + " session=" + session_id_
                                           + " role=" + std::string(name(role_))
                                           + (agent_.empty() ? "" : " agent=" + agent_));

  std::string line;
  encode_welcome(line, role_, session_id_);
  complete_ack(reserve_ack(), std::move(line));
  if (closed_) {
    return;  // Writing the welcome gave up on the connection: nothing to register.
  }
  listener_.sessions.add(shared_from_this(), role_, agent_);
  registered_ = true;
}

void stream_session::reject_frame(const error& err, const std::string& id) {
  std::string line;
  encode_ack(line, id, actors::ack::rejected(err.code, err.message));
  complete_ack(reserve_ack(), std::move(line));
}

std::uint64_t stream_session::reserve_ack() {
  pending_acks_.emplace_back();
  return first_pending_ + pending_acks_.size() - 1;
}

void stream_session::complete_ack(std::uint64_t seq, std::string line) {
  if (closed_) {
    return;
  }
  pending_acks_[seq - first_pending_] = std::move(line);
  while (!pending_acks_.empty() && pending_acks_.front()) {
    write_line(*pending_acks_.front());
    pending_acks_.pop_front();
    ++first_pending_;
    if (closed_) {
      return;  // The transport gave up on a slow reader.
    }
  }

  if (peer_finished_) {
    if (pending_acks_.empty()) {
      close_after_flush();
    }
  } else if (pending_acks_.size() < max_unacked_frames / 2) {
    read_more();
  }
}

}  // namespace blendroute::net
