// Deliveries sent and not yet acknowledged, re-sent with backoff until their receiver acks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/egress.hpp"
#include "core/event.hpp"

namespace blendroute::net {

/// Who must acknowledge a delivery (DESIGN.md §5 "delivery ids").
struct delivery_receiver {
  enum class kind : std::uint8_t { bot, agent, gateway };

  kind what = kind::gateway;
  std::string agent;  ///< For agent deliveries.
  std::string conv;   ///< The conversation the delivery is about.
};

/// Every frame with a delivery id that has not been acknowledged, with when to send it
/// again. Thread-safe: actor threads add, I/O threads acknowledge and re-send.
///
/// The first re-send comes `first_backoff` after the send, each later one after twice the
/// wait before, up to `longest_backoff`. A delivery whose receiver is not connected waits
/// for it; `wake` sends it as soon as the receiver is back.
class delivery_tracker {
public:
  using clock = std::chrono::steady_clock;

  static constexpr std::chrono::milliseconds first_backoff{1000};
  static constexpr std::chrono::milliseconds longest_backoff{30'000};

  /// Beyond `most_pending` unacknowledged deliveries the oldest are dropped (and counted): a
  /// receiver that never acks must not grow memory without bound.
  explicit delivery_tracker(std::size_t most_pending = 1'000'000) : most_pending_(most_pending) {}

  /// Remembers the delivery `id` to `to` as `line`: sent now, or (`sent` false) waiting for
  /// its receiver to connect.
  void track(const std::string& id, delivery_receiver to, std::shared_ptr<const std::string> line,
             bool sent, clock::time_point now);

  /// Like `track` for a bot request, which keeps its frame: when no bot connection is left
  /// the request goes to the embedded bot instead (`take_bot_requests`).
  void track_bot_request(const std::string& id, std::shared_ptr<const egress_frame> frame,
                         std::shared_ptr<const std::string> line, clock::time_point now);

  /// Takes every bot request not acknowledged out of the tracker, oldest first.
  std::vector<std::shared_ptr<const egress_frame>> take_bot_requests();

  /// Whether a session of role `who` (agent `agent`) may acknowledge delivery `id`: its
  /// receiver, or anyone for a delivery not known (acknowledged before, or before a restart).
  bool may_acknowledge(const std::string& id, role who, const std::string& agent) const;

  /// The delivery was acknowledged: no more re-sends.
  void acknowledge(const std::string& id);

  /// Stops re-sending what `agent` was sent about `conv` (it lost the conversation or the
  /// offer): the revocation that says so is a delivery of its own. With `agent` empty:
  /// the bot requests of `conv` (a bot answered it).
  void cancel_for_agent(const std::string& agent, const std::string& conv);

  /// Calls `resend(receiver, line)` for every delivery due by `now`, oldest first. `resend`
  /// returns whether the receiver was connected; a delivery whose receiver was not waits for
  /// `wake`. Each one re-sent is due again after its next backoff.
  void resend_due(clock::time_point now,
                  const std::function<bool(const delivery_receiver&,
                                           const std::shared_ptr<const std::string>&)>& resend);

  /// Makes every waiting delivery for which `matches` holds due now (its receiver is back).
  void wake(const std::function<bool(const delivery_receiver&)>& matches, clock::time_point now);

  std::size_t pending() const;

  /// Deliveries dropped because `most_pending` was reached.
  std::uint64_t dropped() const;

private:
  struct entry {
    delivery_receiver to;
    std::shared_ptr<const std::string> line;
    std::shared_ptr<const egress_frame> bot_request;  ///< Bot deliveries only.
    clock::time_point due;
    std::chrono::milliseconds backoff = first_backoff;
    bool waiting = false;     ///< Its receiver was not connected at the last attempt.
    std::uint64_t order = 0;  ///< Tracking order, to drop the oldest first.
  };

  struct due_at {
    clock::time_point when;
    std::string id;
    std::uint64_t order;

    bool operator>(const due_at& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };

  void schedule(const std::string& id, entry& e);

  const std::size_t most_pending_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  /// Due times, with stale ones left behind by acks and reschedules (recognised by `order`
  /// and `due` not matching the entry).
  std::priority_queue<due_at, std::vector<due_at>, std::greater<>> schedule_;
  std::queue<std::pair<std::uint64_t, std::string>> by_age_;  ///< For dropping the oldest.
  /// Agent deliveries by agent and conversation (ids acknowledged since stay until then).
  std::unordered_map<std::string, std::vector<std::string>> by_agent_conv_;
  std::uint64_t next_order_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace blendroute::net
