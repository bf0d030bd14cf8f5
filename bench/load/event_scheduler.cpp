// Runs tasks at steady-clock deadlines from a single Asio timer.

#include "bench/load/event_scheduler.hpp"

#include <algorithm>

namespace blendroute::load {

event_scheduler::event_scheduler(boost::asio::io_context& io) : timer_(io) {}

void event_scheduler::schedule_at(clock::time_point when, std::function<void()> task) {
  if (stopped_) {
    return;
  }

  heap_.push_back(entry{when, next_sequence_++, std::move(task)});
  std::push_heap(heap_.begin(), heap_.end(), later);

  // Re-arm only when the new task is due before the wait already pending.
  if (!armed_ || when < armed_for_) {
    arm();
  }
}

void event_scheduler::schedule_after(clock::duration delay, std::function<void()> task) {
  schedule_at(clock::now() + delay, std::move(task));
}

void event_scheduler::stop() {
  stopped_ = true;
  heap_.clear();
  armed_ = false;
  ++generation_;
  timer_.cancel();
}

bool event_scheduler::later(const entry& a, const entry& b) {
  if (a.when != b.when) {
    return a.when > b.when;
  }
  return a.sequence > b.sequence;
}

void event_scheduler::arm() {
  if (heap_.empty()) {
    armed_ = false;
    return;
  }

  armed_ = true;
  armed_for_ = heap_.front().when;
  const auto generation = ++generation_;
  // expires_at cancels the previous wait; its handler then sees a stale generation.
  timer_.expires_at(armed_for_);
  timer_.async_wait([this, generation](const boost::system::error_code&) { run_due(generation); });
}

void event_scheduler::run_due(std::uint64_t generation) {
  if (generation != generation_ || stopped_) {
    return;
  }
  armed_ = false;

  // Run only the tasks due now and present now: a task that schedules another for "now" waits
  // for the next turn, so this loop is bounded and other handlers (reads, acks) get a turn.
  const auto now = clock::now();
  std::size_t budget = heap_.size();
  while (budget > 0 && !heap_.empty() && heap_.front().when <= now && !stopped_) {
    --budget;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    auto task = std::move(heap_.back().task);
    const auto lag = clock::now() - heap_.back().when;
    heap_.pop_back();
    ++tasks_run_;
    if (lag > late_after) {
      ++late_tasks_;
      worst_lag_ = std::max(worst_lag_, lag);
    }
    task();
  }

  if (!stopped_ && !armed_) {
    arm();
  }
}

}  // namespace blendroute::load
