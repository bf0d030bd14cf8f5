// A frame stream (a TCP or WebSocket connection): hello, roles, events, acks in frame order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "actors/ingress_port.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "net/session_registry.hpp"

namespace blendroute::net {

struct decoded_frame;

/// What the stream sessions of one listener share. Outlives every session.
struct stream_listener {
  const listener_config& listener;
  const auth_config& auth;
  actors::ingress_port& port;
  session_registry& sessions;
  log_sink& log;
  std::string_view component;  ///< `net.tcp`, `net.ws`.

  void log_line(log_level level, const std::string& line) const {
    if (log.enabled(level)) {
      log.write(level, component, line);
    }
  }
};

/// The protocol of DESIGN.md §5 "Framing and sessions" over any transport that delivers
/// whole frames: the first frame must be a hello with its role's token; each later frame is
/// decoded, checked against the role and handed to the ingress port; acks are written in
/// the order of the frames they answer, whatever order the journal completes them in.
///
/// A transport derives from it, reads frames and passes each to handle_frame(), and writes
/// the lines it is given. Everything runs on the transport's executor (one thread at a
/// time); other threads reach a session only through deliver() and close(), which post.
class stream_session : public session, public std::enable_shared_from_this<stream_session> {
public:
  /// Frames whose acks are still outstanding before the transport stops reading: a client
  /// that pipelines faster than the journal commits is slowed down instead of buffered.
  static constexpr std::size_t max_unacked_frames = 8192;

  /// The longest hello accepted; anything longer before authentication is refused.
  static constexpr std::size_t max_hello_bytes = 4096;

  void deliver(std::shared_ptr<const std::string> line) final;

  /// Closes the connection at once, from any thread (the server is stopping).
  void close();

  /// The executor every handler of this session runs on.
  boost::asio::any_io_executor executor() const { return executor_; }

protected:
  stream_session(boost::asio::any_io_executor executor, stream_listener& listener,
                 std::string peer);

  /// Handles one complete frame of `length` bytes. `capacity` bytes from `data` are
  /// readable, at least `length` + simdjson's padding to parse in place.
  void handle_frame(const char* data, std::size_t length, std::size_t capacity);

  /// Answers a frame over frame_limit(). Before a hello it is just another frame that is
  /// not a hello, and the connection closes.
  void reject_oversized();

  /// The longest frame the session accepts now: a hello is small, so a client that has not
  /// said one cannot make the server hold a large buffer for it.
  std::size_t frame_limit() const;

  /// Makes room to read into `buffer` after its first `filled` bytes, keeping simdjson's
  /// padding free at the end: the buffer starts small and doubles, up to the frame limit and
  /// one `chunk`, when less than half a chunk is left. Returns the room.
  std::size_t make_read_room(std::vector<char>& buffer, std::size_t filled,
                             std::size_t chunk) const;

  /// Whether reading may go on: false while max_unacked_frames acks are outstanding.
  /// read_more() is called once enough of them have been written.
  bool may_read() const { return pending_acks_.size() < max_unacked_frames; }

  /// The peer sent its last frame: every frame it sent still gets its ack, then the
  /// connection closes.
  void peer_finished();

  /// Marks the session closed and takes it out of the registry. Returns false when it was
  /// closed already. The transport calls it first thing when it tears the connection down.
  bool begin_close();

  /// Whether `queued` bytes of unsent output plus `more` would pass
  /// listen.max_send_queue_bytes. If so the consumer is too slow: it is logged and counted,
  /// and the transport must disconnect it.
  bool too_slow(std::size_t queued, std::size_t more);

  bool closed() const { return closed_; }

  bool authenticated() const { return authenticated_; }

  const std::string& peer() const { return peer_; }

  const std::string& session_id() const { return session_id_; }

  stream_listener& listener_;

private:
  /// Queues one encoded line (ending in a newline) for the wire.
  virtual void write_line(const std::string& line) = 0;

  /// Acks have drained below half of max_unacked_frames: reading may resume.
  virtual void read_more() = 0;

  /// Closes once what is queued has been written.
  virtual void close_after_flush() = 0;

  /// Tears the connection down now (calling begin_close()).
  virtual void shutdown() = 0;

  void authenticate(const decoded_frame& frame);

  void reject_frame(const error& err, const std::string& id = {});

  std::uint64_t reserve_ack();

  /// Fills the slot of frame `seq`, then writes every ack that no earlier frame holds back.
  void complete_ack(std::uint64_t seq, std::string line);

  boost::asio::any_io_executor executor_;
  std::string peer_;
  bool closed_ = false;
  bool peer_finished_ = false;
  bool authenticated_ = false;
  bool registered_ = false;
  role role_ = role::gateway;
  std::string agent_;
  std::string session_id_;
  std::deque<std::optional<std::string>> pending_acks_;
  std::uint64_t first_pending_ = 0;
};

}  // namespace blendroute::net
