// One clock thread for every SLA and inactivity timer, instead of a CAF delayed_send each.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
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

/// A timer queue on its own thread. Arming and cancelling each cost a heap insertion or
/// removal under a lock, O(log n), with no pass over all timers (CAF 0.17's delayed_send
/// cannot be cancelled, costs ~256 B, keeps the receiver alive and runs through one clock
/// thread; see ENVIRONMENT.md). An armed timer takes a 40-byte slot and a 16-byte heap entry
/// (their sizes on x86-64), plus what the vectors hold in reserve.
///
/// A conversation still checks every timer it receives against its own deadlines: a timer
/// may fire on the clock thread while the conversation is cancelling it.
///
/// Timers hold weak references: a conversation actor that has stopped is simply skipped.
class sla_clock {
public:
  /// `fire` runs on the clock thread for every timer that came due; `now` is router time.
  using fire_function = std::function<void(const caf::actor_addr&, const timer_due&)>;

  /// Names one armed timer for `cancel`; 0 names none. A timer's id is never reused, so
  /// cancelling one that has fired or was cancelled already does nothing.
  using timer_id = std::uint64_t;

  /// `threaded` fires from its own thread as deadlines come; `manual` only when `fire_due`
  /// is called, for tests that move time themselves.
  enum class mode : std::uint8_t { threaded, manual };

  sla_clock(std::function<time_point()> now, fire_function fire, mode m = mode::threaded);
  ~sla_clock();
  sla_clock(const sla_clock&) = delete;
  sla_clock& operator=(const sla_clock&) = delete;

  /// Calls `fire(target, due)` at router time `at` (at once when `at` has passed), unless
  /// cancelled before. Thread-safe.
  timer_id arm(caf::actor_addr target, const timer_due& due, time_point at);

  /// Forgets the timer `id` if it has not fired yet, and releases its target. Thread-safe.
  void cancel(timer_id id);

  /// Timers waiting.
  std::size_t armed() const;

  /// Fires, on the calling thread, every timer due at `now()`; returns how many. Only for
  /// the manual mode.
  std::size_t fire_due();

  /// Stops the thread; timers still armed are dropped.
  void stop();

private:
  /// A timer's target and payload, reused by later timers once it fired or was cancelled.
  struct slot {
    caf::actor_addr target;
    timer_due due;
    std::uint32_t heap_index = 0;  ///< Where its entry is in `heap_`, while armed.
    /// Bumped when the slot is freed; part of the timer id. 0 retires the slot for good.
    std::uint32_t generation = 1;
  };

  /// A heap entry: when, and which slot.
  struct entry {
    time_point at;
    std::uint32_t slot;
  };

  struct fired_timer {
    caf::actor_addr target;
    timer_due due;
  };

  void run();

  /// Moves every timer due at `now` into `due`. Called with `mutex_` held.
  void take_due(time_point now, std::vector<fired_timer>& due);

  /// Takes the entry at `index` out of the heap and frees its slot. Called with `mutex_` held.
  void remove_at(std::size_t index);

  /// Moves the entry at `index` up or down until the heap is ordered again, keeping each
  /// slot's `heap_index`. Called with `mutex_` held.
  void restore_order(std::size_t index);

  /// Puts `e` at `index` and tells its slot. Called with `mutex_` held.
  void place(std::size_t index, const entry& e);

  std::function<time_point()> now_;
  fire_function fire_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<entry> heap_;  ///< A binary min-heap on `at`.
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace blendroute::actors
