// One clock thread for every SLA and inactivity timer, instead of a CAF delayed_send each.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include <caf/actor_addr.hpp>

#include "core/config.hpp"
#include "core/time.hpp"

namespace blendroute::actors {

/// What comes due: an SLA deadline (or a later escalation step) or a customer's silence.
struct timer_due {
  enum class kind : std::uint8_t { sla, idle, passivate };

  kind what = kind::sla;
  sla_kind sla = sla_kind::bot_attempt;
  time_point deadline;  ///< Identifies the timer; the conversation ignores stale ones.
  int level = 1;        ///< Escalation level, or idle stage.
};

/// A timer queue on its own thread. Arming costs a heap insertion under a lock and about
/// 48 bytes; nothing is cancelled: a conversation recognises a timer it no longer wants by
/// its deadline (CAF 0.17's delayed_send cannot be cancelled either, costs ~256 B, keeps the
/// receiver alive and runs through one clock thread; see ENVIRONMENT.md).
///
/// Timers hold weak references: a conversation actor that has stopped is simply skipped.
class sla_clock {
public:
  /// `fire` runs on the clock thread for every timer that came due; `now` is router time.
  using fire_function = std::function<void(const caf::actor_addr&, const timer_due&)>;

  /// `threaded` fires from its own thread as deadlines come; `manual` only when `fire_due`
  /// is called, for tests that move time themselves.
  enum class mode : std::uint8_t { threaded, manual };

  sla_clock(std::function<time_point()> now, fire_function fire, mode m = mode::threaded);
  ~sla_clock();
  sla_clock(const sla_clock&) = delete;
  sla_clock& operator=(const sla_clock&) = delete;

  /// Calls `fire(target, due)` at router time `at` (at once when `at` has passed).
  /// Thread-safe.
  void arm(caf::actor_addr target, const timer_due& due, time_point at);

  /// Timers waiting.
  std::size_t armed() const;

  /// Fires, on the calling thread, every timer due at `now()`; returns how many. Only for
  /// the manual mode.
  std::size_t fire_due();

  /// Stops the thread; timers still armed are dropped.
  void stop();

private:
  struct entry {
    time_point at;
    caf::actor_addr target;
    timer_due due;

    bool operator>(const entry& other) const { return at > other.at; }
  };

  void run();

  /// Moves every entry due at `now` into `due`. Called with `mutex_` held.
  void take_due(time_point now, std::vector<entry>& due);

  std::function<time_point()> now_;
  fire_function fire_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> heap_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace blendroute::actors
