// The timer thread: sleeps until the earliest deadline, fires what is due in one batch.
#include "actors/sla_clock.hpp"

#include <algorithm>
#include <limits>

namespace blendroute::actors {
namespace {

/// Orders the heap so that the earliest entry is on top.
struct later_first {
  template <class Entry>
  bool operator()(const Entry& a, const Entry& b) const {
    return a.at > b.at;
  }
};

/// Below this many entries the heap is never compacted: tombstones cost less than a pass.
constexpr std::size_t min_entries_to_compact = 4096;

}  // namespace

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
  ++live_;

  const bool earliest = heap_.empty() || at < heap_.front().at;
  heap_.push_back({at, index, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), later_first{});
  if (earliest) {
    wake_.notify_one();
  }
  return (static_cast<timer_id>(s.generation) << 32) | index;
}

void sla_clock::cancel(timer_id id) {
  const auto index = static_cast<std::uint32_t>(id & 0xffff'ffffU);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  std::lock_guard<std::mutex> lock(mutex_);
  if (id == 0 || index >= slots_.size() || slots_[index].generation != generation) {
    return;  // Fired or cancelled already.
  }
  free_slot(index);
  compact_if_worth_it();
}

void sla_clock::free_slot(std::uint32_t index) {
  slot& s = slots_[index];
  s.target =
      caf::actor_addr{};  // The weak reference goes now, not when the deadline would have come.
  --live_;
  if (s.generation == std::numeric_limits<std::uint32_t>::max()) {
    // Every id this slot could give is used up; retiring it keeps ids unique for good.
    s.generation = 0;
    return;
  }
  ++s.generation;
  free_slots_.push_back(index);
}

void sla_clock::compact_if_worth_it() {
  if (heap_.size() < min_entries_to_compact || heap_.size() < 2 * live_) {
    return;
  }
  heap_.erase(
      std::remove_if(heap_.begin(), heap_.end(), [this](const entry& e) { return !live(e); }),
      heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), later_first{});
}

sla_clock::entry sla_clock::pop_earliest() {
  std::pop_heap(heap_.begin(), heap_.end(), later_first{});
  const entry earliest = heap_.back();
  heap_.pop_back();
  return earliest;
}

std::size_t sla_clock::armed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_;
}

std::size_t sla_clock::heap_entries() const {
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
    const entry earliest = pop_earliest();
    if (!live(earliest)) {
      continue;  // Cancelled.
    }
    slot& s = slots_[earliest.slot];
    due.push_back({std::move(s.target), s.due});
    free_slot(earliest.slot);
  }
}

void sla_clock::run() {
  std::vector<fired_timer> due;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    // Tombstones on top would make the thread wake for nothing.
    while (!heap_.empty() && !live(heap_.front())) {
      pop_earliest();
    }
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
