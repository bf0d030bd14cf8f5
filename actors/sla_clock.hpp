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

/// A timer queue on its own thread. Arming costs a heap insertion under a lock; cancelling
/// costs a lookup under the same lock and frees the timer's slot at once (CAF 0.17's
/// delayed_send cannot be cancelled, costs ~256 B, keeps the receiver alive and runs through
/// one clock thread; see ENVIRONMENT.md).
///
/// A cancelled timer leaves a 16-byte tombstone in the heap until its time comes or the heap
/// is compacted (when tombstones outnumber live timers), so that cancelling never searches
/// the heap. A conversation still checks every timer it receives against its own deadlines:
/// a timer may fire on the clock thread while the conversation is cancelling it.
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

  /// Timers waiting (cancelled ones not counted).
  std::size_t armed() const;

  /// Heap entries, tombstones of cancelled timers included: what the heap costs.
  std::size_t heap_entries() const;

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
    std::uint32_t generation = 1;  ///< Bumped when the slot is freed; part of the timer id.
  };

  /// A heap entry: where the timer is and which generation of its slot it was.
  struct entry {
    time_point at;
    std::uint32_t slot;
    std::uint32_t generation;
  };

  struct fired_timer {
    caf::actor_addr target;
    timer_due due;
  };

  void run();

  /// Moves every live timer due at `now` into `due`. Called with `mutex_` held.
  void take_due(time_point now, std::vector<fired_timer>& due);

  /// Frees `index` for a later timer. Called with `mutex_` held.
  void free_slot(std::uint32_t index);

  /// Drops the tombstones from the heap once they outnumber the live timers, so that
  /// cancelled long timers (idle warnings minutes away) do not pile up. Called with `mutex_`
  /// held.
  void compact_if_worth_it();

  /// Whether `e` still names a live timer. Called with `mutex_` held.
  bool live(const entry& e) const { return slots_[e.slot].generation == e.generation; }

  /// Pops the earliest entry; the heap must not be empty. Called with `mutex_` held.
  entry pop_earliest();

  std::function<time_point()> now_;
  fire_function fire_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<entry> heap_;  ///< A min-heap on `at`.
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace blendroute::actors
