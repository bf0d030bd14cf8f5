// Connected sessions by role, and the egress sink that routes frames to them.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/egress.hpp"
#include "core/event.hpp"
#include "net/connection_limit.hpp"
#include "net/delivery_tracker.hpp"

namespace blendroute::net {

/// One authenticated connection that can receive lines. Thread-safe.
class session {
public:
  virtual ~session() = default;

  /// Queues one encoded line (ending in a newline) for sending; never blocks.
  /// May be called with the registry's lock held: it must not call back into the registry
  /// (the connections post the write to their own thread).
  virtual void deliver(std::shared_ptr<const std::string> line) = 0;
};

/// What the listeners count, for `/metrics`.
struct listener_counters {
  connection_limit tcp_connections;
  connection_limit http_connections;  ///< With the WebSocket streams upgraded from them.
  std::atomic<std::uint64_t> slow_consumers_disconnected{0};
  std::atomic<std::uint64_t> idle_sessions_closed{0};
  /// Supervisor frames dropped from a full backlog while no supervisor was connected.
  std::atomic<std::uint64_t> supervisor_frames_dropped{0};
};

/// Tracks who is connected and sends egress frames to the right sessions, keeping every
/// frame with a delivery id until its receiver acknowledges it (re-sent with backoff, and
/// to a receiver that reconnects). Thread-safe: I/O threads add and remove sessions, actor
/// threads send.
///
/// A `customer.deliver` goes to the gateway that carries its conversation, or, when that
/// one is gone, to any connected gateway: the gateways of one contact center route replies
/// by conversation id. With none connected it waits.
class session_registry final : public egress_sink {
public:
  /// Told when an agent's first connection comes up (true) and its last goes down (false).
  /// Set once, before the listeners start; called on I/O threads.
  void watch_agents(std::function<void(const std::string& agent, bool connected)> watch) {
    watch_agents_ = std::move(watch);
  }

  /// Receives the bot requests left without a bot connection, for the embedded bot. Set
  /// once, before the listeners start.
  void hand_over_bot_requests(std::function<void(const egress_frame&)> embedded) {
    embedded_bot_ = std::move(embedded);
  }

  void add(const std::shared_ptr<session>& s, role who, const std::string& agent);

  void remove(const session* s, role who, const std::string& agent);

  /// Records that `gateway` most recently sent a customer event for `conv`.
  void carry(const std::string& conv, const std::shared_ptr<session>& gateway);

  /// Drops the carrying gateways of conversations whose retention is over; a customer who
  /// writes again is carried anew by the gateway that brings the message.
  void forget_conversations(const std::vector<std::string>& convs) override;

  /// Conversations with a carrying gateway on record.
  std::size_t carried_conversations() const;

  /// Whether a session of role `who` (agent `agent`) may acknowledge delivery `id`.
  bool may_acknowledge(const std::string& id, role who, const std::string& agent) const;

  /// Delivery `id` was acknowledged (and the ack journaled): it is not re-sent again.
  void acknowledge(const std::string& id);

  /// A bot answered `conv`: its bot requests are answered too, acked or not, and must not
  /// go to another bot (or the embedded one) for a second answer.
  void bot_answered(const std::string& conv) { deliveries_.cancel_for_agent({}, conv); }

  /// `agent` accepted or declined its offer of `conv`: the offer was received, and is not
  /// re-sent (after a decline nothing it was sent about `conv` is, the revocation included).
  void offer_answered(const std::string& agent, const std::string& conv) {
    deliveries_.cancel_for_agent(agent, conv);
  }

  /// An accepted event (acked `ok`) of type `type` answered what was sent about `conv`: a
  /// bot's reply its bot requests, an agent's accept or decline its offer.
  void event_accepted(event_type type, const std::string& conv, const std::string& agent) {
    if (type == event_type::bot_reply) {
      bot_answered(conv);
    } else if (type == event_type::agent_accept || type == event_type::agent_decline) {
      offer_answered(agent, conv);
    }
  }

  /// Re-sends every delivery whose backoff is over. Call it regularly (the TCP listener
  /// does, every 100 ms).
  void resend_due();

  /// Deliveries sent or waiting and not acknowledged.
  std::size_t pending_deliveries() const;

  /// Connection counts of every listener. Thread-safe.
  listener_counters& counters() { return counters_; }

  /// How many supervisor frames wait for the next supervisor while none is connected, at
  /// most (see also limit_supervisor_backlog()).
  static constexpr std::size_t supervisor_backlog_lines = 10'000;

  /// Caps the supervisor backlog at `bytes` (half of listen.max_send_queue_bytes, so that
  /// handing it over never makes the new supervisor a slow consumer). Set once, before the
  /// listeners start; 1 MiB until then.
  void limit_supervisor_backlog(std::size_t bytes) { supervisor_backlog_limit_ = bytes; }

  bool send_to_bot(const egress_frame& frame) override;
  bool send_to_agent(const std::string& agent, const egress_frame& frame) override;
  bool send_to_gateway(const egress_frame& frame) override;
  void send_to_supervisors(const egress_frame& frame) override;

private:
  static constexpr std::size_t carrier_shards = 16;

  struct carrier_shard {
    mutable std::mutex mutex;
    /// Kept through a conversation's retention (a customer may come back to it), then
    /// dropped by forget_conversations with its journal.
    std::unordered_map<std::string, std::weak_ptr<session>> gateways;
  };

  static std::shared_ptr<const std::string> encode(const egress_frame& frame);

  /// Removes a session with mutex_ held; true when it was its agent's last.
  bool remove_locked(const session* s, role who, const std::string& agent);

  /// The sessions that receive `to` now (one bot round-robin, every connection of an agent,
  /// the carrying gateway); empty when none is connected.
  std::vector<std::shared_ptr<session>> find_receivers(const delivery_receiver& to);

  /// Sends `line` to whoever receives `to` now; false when nobody is connected.
  bool send_line(const delivery_receiver& to, const std::shared_ptr<const std::string>& line);

  /// Tracks `frame`'s delivery (if it has one), then sends it to `to`'s receivers. Tracked
  /// first because a receiver may acknowledge it from another I/O thread before this actor
  /// thread runs again: an acknowledgement of a delivery not tracked yet would be refused
  /// (`not_owner`) and the delivery re-sent although it had arrived.
  bool send_tracked(const delivery_receiver& to, const egress_frame& frame);

  /// The live gateway carrying `conv`, else any connected gateway, else null.
  std::shared_ptr<session> gateway_for(const std::string& conv);

  std::mutex mutex_;
  std::vector<std::shared_ptr<session>> bots_;
  std::vector<std::shared_ptr<session>> supervisors_;
  /// Supervisor frames sent while no supervisor was connected (a breach that fired at
  /// start-up, before anyone could reconnect), for the next one to connect: the newest
  /// `supervisor_backlog_lines` of them.
  std::deque<std::shared_ptr<const std::string>> supervisor_backlog_;
  std::size_t supervisor_backlog_bytes_ = 0;
  std::size_t supervisor_backlog_limit_ = 1u << 20;
  std::vector<std::shared_ptr<session>> gateways_;
  std::atomic<std::size_t> next_gateway_{0};
  std::unordered_map<std::string, std::vector<std::shared_ptr<session>>> agents_;
  std::atomic<std::size_t> next_bot_{0};
  std::array<carrier_shard, carrier_shards> carriers_;
  delivery_tracker deliveries_;
  listener_counters counters_;
  std::function<void(const std::string&, bool)> watch_agents_;
  std::function<void(const egress_frame&)> embedded_bot_;

  /// With no bot connection left, gives every unacknowledged bot request to the embedded bot.
  void hand_over_if_no_bot();
};

}  // namespace blendroute::net
