// The timer thread: sleeps until the earliest deadline, fires what is due in one batch.
#include "actors/sla_clock.hpp"

#include <limits>

namespace blendroute::actors {

sla_clock::sla_clock(std::function<time_point()> now, fire_function fire, mode m)
    : now_(std::move(now)), fire_(std::move(fire)) {
  if (m == mode::threaded) {
    thread_ = std::thread([this] { run(); });
  }
}

sla_clock::~sla_clock() {
  stop();
}

sla_clock::timer_id sla_clock::arm(caf::actor_addr target, const timer_due& due, time_point at) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint32_t index = 0;
  if (free_slots_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  slot& s = slots_[index];
  s.target = std::move(target);
  s.due = due;

  const bool earliest = heap_.empty() || at < heap_.front().at;
  heap_.push_back({at, index});
  s.heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
  restore_order(heap_.size() - 1);
  if (earliest) {
    wake_.notify_one();
  }
  return (static_cast<timer_id>(slots_[index].generation) << 32) | index;
}

void sla_clock::cancel(timer_id id) {
  const auto index = static_cast<std::uint32_t>(id & 0xffff'ffffU);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  std::lock_guard<std::mutex> lock(mutex_);
  // Generation 0 names no timer: 0 itself, and the retired slots.
  if (generation == 0 || index >= slots_.size() || slots_[index].generation != generation) {
    return;  // Fired or cancelled already.
  }
  remove_at(slots_[index].heap_index);
}

void sla_clock::remove_at(std::size_t index) {
  const std::uint32_t freed = heap_[index].slot;
  const entry last = heap_.back();
  heap_.pop_back();
  if (index < heap_.size()) {
    place(index, last);
    restore_order(index);
  }

  slot& s = slots_[freed];
  s.target = caf::actor_addr{};  // The weak reference goes now, not at the old deadline.
  if (s.generation == std::numeric_limits<std::uint32_t>::max()) {
    // Every id this slot could give is used up; retiring it keeps ids unique for good.
    s.generation = 0;
    return;
  }
  ++s.generation;
  free_slots_.push_back(freed);
}

void sla_clock::place(std::size_t index, const entry& e) {
  heap_[index] = e;
  slots_[e.slot].heap_index = static_cast<std::uint32_t>(index);
}

void sla_clock::restore_order(std::size_t index) {
  const entry moving = heap_[index];
  // Up, while earlier than its parent.
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!(moving.at < heap_[parent].at)) {
      break;
    }
    place(index, heap_[parent]);
    index = parent;
  }
  // Down, while later than its earlier child.
  for (;;) {
    const std::size_t left = 2 * index + 1;
    if (left >= heap_.size()) {
      break;
    }
    const std::size_t right = left + 1;
    const std::size_t earlier =
        right < heap_.size() && heap_[right].at < heap_[left].at ? right : left;
    if (!(heap_[earlier].at < moving.at)) {
      break;
    }
    place(index, heap_[earlier]);
    index = earlier;
  }
  place(index, moving);
}

std::size_t sla_clock::armed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heap_.size();
}

void sla_clock::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return;
    }
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::size_t sla_clock::fire_due() {
  std::vector<fired_timer> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    take_due(now_(), due);
  }
  for (const auto& timer : due) {
    fire_(timer.target, timer.due);
  }
  return due.size();
}

void sla_clock::take_due(time_point now, std::vector<fired_timer>& due) {
  // A timer is due at its deadline's millisecond, not before: router time is in
  // milliseconds, and a breach one millisecond early would be a false breach.
  while (!heap_.empty() && heap_.front().at <= now) {
    slot& s = slots_[heap_.front().slot];
    due.push_back({std::move(s.target), s.due});
    remove_at(0);
  }
}

void sla_clock::run() {
  std::vector<fired_timer> due;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (heap_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const time_point now = now_();
    if (heap_.front().at > now) {
      // Router time is in milliseconds; waking at the deadline's millisecond is on time.
      wake_.wait_for(lock, heap_.front().at - now);
      continue;
    }
    take_due(now, due);
    // Fire without the lock: firing sends messages, and actors arm new timers meanwhile.
    lock.unlock();
    for (const auto& timer : due) {
      fire_(timer.target, timer.due);
    }
    due.clear();
    lock.lock();
  }
}

}  // namespace blendroute::actors
