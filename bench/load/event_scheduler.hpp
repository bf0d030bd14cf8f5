#pragma once
// Runs tasks at steady-clock deadlines from a single Asio timer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace blendroute::load {

/// Runs tasks at given steady-clock times on the thread that runs the io_context.
///
/// One timer serves every task, so thousands of conversations and agents cost a heap entry
/// each instead of an Asio timer each. Tasks cannot be cancelled: a task whose owner may have
/// moved on checks a generation number it captured. Tasks due at the same time run in the
/// order they were scheduled. Must outlive the io_context's handlers; call `stop()` first.
class event_scheduler {
public:
  using clock = std::chrono::steady_clock;

  explicit event_scheduler(boost::asio::io_context& io);

  /// Runs `task` at `when`, or on the next turn of the event loop when `when` has passed.
  void schedule_at(clock::time_point when, std::function<void()> task);

  /// Runs `task` after `delay`.
  void schedule_after(clock::duration delay, std::function<void()> task);

  /// Drops every pending task and stops the timer; later schedule calls are ignored.
  void stop();

  /// Number of tasks waiting.
  std::size_t pending() const { return heap_.size(); }

  /// A task that runs this long after its time ran late: the tool is behind its schedule.
  static constexpr std::chrono::milliseconds late_after{2};

  /// Tasks run so far, those that ran more than `late_after` after their time, and the
  /// latest of them: how far the tool fell behind what it was asked to do.
  std::uint64_t tasks_run() const { return tasks_run_; }

  std::uint64_t late_tasks() const { return late_tasks_; }

  clock::duration worst_lag() const { return worst_lag_; }

private:
  struct entry {
    clock::time_point when;
    std::uint64_t sequence;
    std::function<void()> task;
  };

  // Orders the heap so that the earliest deadline, then the earliest scheduled, is on top.
  static bool later(const entry& a, const entry& b);

  void arm();

  void run_due(std::uint64_t generation);

  boost::asio::steady_timer timer_;
  std::vector<entry> heap_;
  std::uint64_t next_sequence_ = 0;
  // Bumped on every arm; a wait that completes for an older arm is stale and does nothing.
  std::uint64_t generation_ = 0;
  bool armed_ = false;
  clock::time_point armed_for_;
  bool stopped_ = false;
  std::uint64_t tasks_run_ = 0;
  std::uint64_t late_tasks_ = 0;
  clock::duration worst_lag_{0};
};

}  // namespace blendroute::load
