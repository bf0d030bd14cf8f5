// Unacknowledged deliveries and their re-sends.
#include "net/delivery_tracker.hpp"

#include <algorithm>

namespace blendroute::net {
namespace {

std::string agent_conv_key(const std::string& agent, const std::string& conv) {
  std::string key = agent;
  key.push_back('\0');
  key += conv;
  return key;
}

}  // namespace

void delivery_tracker::track(const std::string& id, delivery_receiver to,
                             std::shared_ptr<const std::string> line, bool sent,
                             clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, fresh] = entries_.try_emplace(id);
  entry& e = it->second;
  e.waiting = !sent;
  if (!fresh) {
    // Sent again by the router itself (an offer re-made after a restart): same delivery.
    e.line = std::move(line);
    e.due = now + e.backoff;
    schedule(id, e);
    return;
  }

  e.order = next_order_++;
  if (to.what == delivery_receiver::kind::agent || to.what == delivery_receiver::kind::bot) {
    // Bot requests are indexed under no agent, for `cancel_for_agent({}, conv)`.
    by_agent_conv_[agent_conv_key(to.agent, to.conv)].push_back(id);
  }
  e.to = std::move(to);
  e.line = std::move(line);
  e.due = now + e.backoff;
  schedule(id, e);
  by_age_.emplace(e.order, id);
  while (entries_.size() > most_pending_ && !by_age_.empty()) {
    auto [order, oldest] = std::move(by_age_.front());
    by_age_.pop();
    auto victim = entries_.find(oldest);
    if (victim != entries_.end() && victim->second.order == order) {
      entries_.erase(victim);
      ++dropped_;
    }
  }
}

void delivery_tracker::track_bot_request(const std::string& id,
                                         std::shared_ptr<const egress_frame> frame,
                                         std::shared_ptr<const std::string> line,
                                         clock::time_point now) {
  track(id, {delivery_receiver::kind::bot, {}, frame->conv}, std::move(line), true, now);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.bot_request = std::move(frame);
  }
}

std::vector<std::shared_ptr<const egress_frame>> delivery_tracker::take_bot_requests() {
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const egress_frame>>> taken;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.to.what == delivery_receiver::kind::bot && it->second.bot_request) {
        taken.emplace_back(it->second.order, std::move(it->second.bot_request));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::sort(taken.begin(), taken.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::shared_ptr<const egress_frame>> out;
  for (auto& [order, frame] : taken) {
    out.push_back(std::move(frame));
  }
  return out;
}

bool delivery_tracker::may_acknowledge(const std::string& id, role who,
                                       const std::string& agent) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return true;
  }
  const delivery_receiver& to = it->second.to;
  switch (to.what) {
    case delivery_receiver::kind::bot:
      return who == role::bot;
    case delivery_receiver::kind::agent:
      return who == role::agent && agent == to.agent;
    case delivery_receiver::kind::gateway:
      return who == role::gateway;
  }
  return false;
}

void delivery_tracker::acknowledge(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(id);
}

void delivery_tracker::cancel_for_agent(const std::string& agent, const std::string& conv) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_agent_conv_.find(agent_conv_key(agent, conv));
  if (it == by_agent_conv_.end()) {
    return;
  }
  for (const auto& id : it->second) {
    entries_.erase(id);
  }
  by_agent_conv_.erase(it);
}

void delivery_tracker::resend_due(
    clock::time_point now,
    const std::function<bool(const delivery_receiver&, const std::shared_ptr<const std::string>&)>&
        resend) {
  struct due_delivery {
    std::string id;
    std::uint64_t order;
    delivery_receiver to;
    std::shared_ptr<const std::string> line;
  };

  std::vector<due_delivery> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!schedule_.empty() && schedule_.top().when <= now) {
      due_at next = schedule_.top();
      schedule_.pop();
      auto it = entries_.find(next.id);
      // Acknowledged, rescheduled or replaced since: a stale entry of the schedule.
      if (it == entries_.end() || it->second.order != next.order || it->second.due != next.when
          || it->second.waiting) {
        continue;
      }
      due.push_back({next.id, next.order, it->second.to, it->second.line});
    }
  }
  if (due.empty()) {
    return;
  }

  // Sent without the lock: a session's queue may be slow to take a line.
  std::vector<bool> reached(due.size());
  for (std::size_t i = 0; i < due.size(); ++i) {
    reached[i] = resend(due[i].to, due[i].line);
  }

  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < due.size(); ++i) {
    auto it = entries_.find(due[i].id);
    if (it == entries_.end() || it->second.order != due[i].order) {
      continue;  // Acknowledged while it was being sent.
    }
    entry& e = it->second;
    if (!reached[i]) {
      e.waiting = true;
      continue;
    }
    e.backoff = std::min<std::chrono::milliseconds>(e.backoff * 2, longest_backoff);
    e.due = now + e.backoff;
    schedule(due[i].id, e);
  }
}

void delivery_tracker::wake(const std::function<bool(const delivery_receiver&)>& matches,
                            clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, e] : entries_) {
    if (e.waiting && matches(e.to)) {
      e.waiting = false;
      e.backoff = first_backoff;
      e.due = now;
      schedule(id, e);
    }
  }
}

std::size_t delivery_tracker::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::uint64_t delivery_tracker::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void delivery_tracker::schedule(const std::string& id, entry& e) {
  schedule_.push({e.due, id, e.order});
}

}  // namespace blendroute::net
