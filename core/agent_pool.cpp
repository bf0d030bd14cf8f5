// Agent selection: tier priority, oldest escalation, skills, free capacity, longest idle.
#include "core/agent_pool.hpp"

#include <algorithm>

namespace blendroute {
namespace {

bool has_skills(const agent_record& agent, const std::vector<std::string>& needed) {
  return std::all_of(needed.begin(), needed.end(), [&](const std::string& skill) {
    return std::find(agent.skills.begin(), agent.skills.end(), skill) != agent.skills.end();
  });
}

bool has_room(const agent_record& agent) {
  return agent.presence == agent_presence::available
         && static_cast<int>(agent.conversations.size()) < agent.capacity;
}

}  // namespace

void agent_pool::set_tier_priority(const std::string& tier, int priority) {
  tier_priority_[tier] = priority;
}

std::vector<std::string> agent_pool::update_status(const ingress_event& status, time_point now) {
  auto [it, inserted] = agents_.try_emplace(status.agent);
  agent_record& agent = it->second;
  if (inserted) {
    agent.id = status.agent;
    agent.idle_since = now;
  }
  if (status.capacity) {
    agent.capacity = *status.capacity;
  }
  if (!status.skills.empty()) {
    agent.skills = status.skills;
  }
  if (agent.presence != agent_presence::available && status.presence == agent_presence::available) {
    agent.idle_since = now;
  }
  agent.presence = status.presence;

  std::vector<std::string> orphaned;
  if (status.presence == agent_presence::offline) {
    orphaned.assign(agent.conversations.begin(), agent.conversations.end());
    agent.conversations.clear();
  }
  return orphaned;
}

void agent_pool::set_queue_limit(const std::string& tier, int limit) {
  queue_limit_[tier] = limit;
}

bool agent_pool::enqueue(queue_entry entry, bool at_head) {
  withdraw(entry.conv);
  auto& queue = queues_[entry.tier];
  auto limit = queue_limit_.find(entry.tier);
  if (!at_head && limit != queue_limit_.end() && limit->second > 0
      && queue.size() >= static_cast<std::size_t>(limit->second)) {
    return false;
  }
  if (at_head) {
    queue.push_front(std::move(entry));
  } else {
    queue.push_back(std::move(entry));
  }
  return true;
}

void agent_pool::withdraw(const std::string& conv) {
  // TODO(routing): linear in the queue length; index queued conversations by id once queues
  // of many thousands are measured to matter.
  for (auto& [tier, queue] : queues_) {
    auto it = std::find_if(queue.begin(), queue.end(),
                           [&](const queue_entry& entry) { return entry.conv == conv; });
    if (it != queue.end()) {
      queue.erase(it);
      return;
    }
  }
}

void agent_pool::raise_priority(const std::string& conv) {
  for (auto& [tier, queue] : queues_) {
    auto it = std::find_if(queue.begin(), queue.end(),
                           [&](const queue_entry& entry) { return entry.conv == conv; });
    if (it != queue.end()) {
      queue_entry entry = std::move(*it);
      queue.erase(it);
      queue.push_front(std::move(entry));
      return;
    }
  }
}

void agent_pool::release(const std::string& agent, const std::string& conv, time_point now) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) {
    return;
  }
  if (it->second.conversations.erase(conv) > 0 && it->second.conversations.empty()) {
    it->second.idle_since = now;
  }
}

const agent_record* agent_pool::choose_agent(const queue_entry& entry) const {
  if (!entry.target_agent.empty()) {
    auto it = agents_.find(entry.target_agent);
    if (it != agents_.end() && has_room(it->second)
        && !it->second.conversations.count(entry.conv)) {
      return &it->second;
    }
    return nullptr;
  }

  const agent_record* best = nullptr;
  const agent_record* excluded = nullptr;
  for (const auto& [id, agent] : agents_) {
    if (!has_room(agent) || !has_skills(agent, entry.skills)) {
      continue;
    }
    if (id == entry.excluded_agent) {
      excluded = &agent;
      continue;
    }
    if (best == nullptr || agent.idle_since < best->idle_since) {
      best = &agent;
    }
  }
  // The agent who declined or let the offer expire gets it again only when nobody else can.
  return best != nullptr ? best : excluded;
}

std::vector<offer_decision> agent_pool::assign(time_point now) {
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [tier, queue] : queues_) {
    if (!queue.empty()) {
      auto priority = tier_priority_.find(tier);
      order.emplace_back(priority == tier_priority_.end() ? 0 : priority->second, tier);
    }
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  std::vector<offer_decision> decisions;
  for (const auto& [priority, tier] : order) {
    auto& queue = queues_[tier];
    // TODO(routing): scans every queued conversation against every agent; index agents by
    // skill set when pools of thousands of agents are measured.
    for (auto it = queue.begin(); it != queue.end();) {
      const agent_record* chosen = choose_agent(*it);
      if (chosen == nullptr) {
        ++it;
        continue;
      }
      agent_record& agent = agents_[chosen->id];
      agent.conversations.insert(it->conv);
      agent.idle_since = now;
      decisions.push_back({it->conv, agent.id, offer_prefix_ + "-" + std::to_string(++offers_)});
      it = queue.erase(it);
    }
  }
  return decisions;
}

std::size_t agent_pool::queue_depth(const std::string& tier) const {
  auto it = queues_.find(tier);
  return it == queues_.end() ? 0 : it->second.size();
}

duration agent_pool::longest_wait(const std::string& tier, time_point now) const {
  auto it = queues_.find(tier);
  if (it == queues_.end() || it->second.empty()) {
    return duration{0};
  }
  time_point oldest = it->second.front().escalated_at;
  for (const auto& entry : it->second) {
    oldest = std::min(oldest, entry.escalated_at);
  }
  return now - oldest;
}

const agent_record* agent_pool::find_agent(const std::string& agent) const {
  auto it = agents_.find(agent);
  return it == agents_.end() ? nullptr : &it->second;
}

}  // namespace blendroute
