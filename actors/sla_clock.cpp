// The timer thread: sleeps until the earliest deadline, fires what is due in one batch.
#include "actors/sla_clock.hpp"

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

void sla_clock::arm(caf::actor_addr target, const timer_due& due, time_point at) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool earliest = heap_.empty() || at < heap_.top().at;
  heap_.push({at, std::move(target), due});
  if (earliest) {
    wake_.notify_one();
  }
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
  std::vector<entry> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    take_due(now_(), due);
  }
  for (const auto& e : due) {
    fire_(e.target, e.due);
  }
  return due.size();
}

void sla_clock::take_due(time_point now, std::vector<entry>& due) {
  // A timer is due at its deadline's millisecond, not before: router time is in
  // milliseconds, and a breach one millisecond early would be a false breach.
  while (!heap_.empty() && heap_.top().at <= now) {
    due.push_back(heap_.top());
    heap_.pop();
  }
}

void sla_clock::run() {
  std::vector<entry> due;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (heap_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const time_point now = now_();
    if (heap_.top().at > now) {
      // Router time is in milliseconds; waking at the deadline's millisecond is on time.
      wake_.wait_for(lock, heap_.top().at - now);
      continue;
    }
    take_due(now, due);
    // Fire without the lock: firing sends messages, and actors arm new timers meanwhile.
    lock.unlock();
    for (const auto& e : due) {
      fire_(e.target, e.due);
    }
    due.clear();
    lock.lock();
  }
}

}  // namespace blendroute::actors
