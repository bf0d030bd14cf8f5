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
  return agent.presence == agent_presence::available && agent.connected
         && static_cast<int>(agent.conversations.size()) < agent.capacity;
}

}  // namespace

template <class Change>
void agent_pool::change_agent(agent_record& agent, Change&& change) {
  if (has_room(agent)) {
    with_room_.erase({agent.idle_since, agent.id});
  }
  change(agent);
  if (has_room(agent)) {
    with_room_.insert({agent.idle_since, agent.id});
  }
}

std::vector<std::string> agent_pool::set_connected(const std::string& agent, bool connected,
                                                   time_point now) {
  auto [it, inserted] = agents_.try_emplace(agent);
  agent_record& record = it->second;
  if (inserted) {
    record.id = agent;
    record.idle_since = now;
  }
  change_agent(record, [&](agent_record& a) { a.connected = connected; });
  return {record.conversations.begin(), record.conversations.end()};
}

std::vector<std::string> agent_pool::tiers() const {
  std::vector<std::string> names;
  for (const auto& [tier, priority] : tier_priority_) {
    names.push_back(tier);
  }
  for (const auto& [tier, entries] : queues_) {
    if (tier_priority_.count(tier) == 0) {
      names.push_back(tier);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

void agent_pool::set_tier_priority(const std::string& tier, int priority) {
  tier_priority_[tier] = priority;
}

void agent_pool::set_queue_limit(const std::string& tier, int limit) {
  queue_limit_[tier] = limit;
}

std::vector<std::string> agent_pool::update_status(const ingress_event& status, time_point now) {
  auto [it, inserted] = agents_.try_emplace(status.agent);
  agent_record& agent = it->second;
  if (inserted) {
    agent.id = status.agent;
    agent.idle_since = now;
  }

  std::vector<std::string> orphaned;
  change_agent(agent, [&](agent_record& a) {
    if (status.capacity) {
      a.capacity = *status.capacity;
    }
    if (!status.skills.empty()) {
      a.skills = status.skills;
    }
    if (a.presence != agent_presence::available && status.presence == agent_presence::available) {
      a.idle_since = now;
    }
    a.presence = status.presence;
    if (status.presence == agent_presence::offline) {
      orphaned.assign(a.conversations.begin(), a.conversations.end());
      a.conversations.clear();
    }
  });
  return orphaned;
}

void agent_pool::restore_hold(const std::string& agent_id, const std::string& conv,
                              time_point now) {
  auto [it, inserted] = agents_.try_emplace(agent_id);
  agent_record& agent = it->second;
  if (inserted) {
    agent.id = agent_id;
    agent.idle_since = now;
  }
  change_agent(agent, [&](agent_record& a) { a.conversations.insert(conv); });
}

bool agent_pool::enqueue(queue_entry entry, bool at_head) {
  withdraw(entry.conv);
  queue& waiting = queues_[entry.tier];
  auto limit = queue_limit_.find(entry.tier);
  if (!at_head && limit != queue_limit_.end() && limit->second > 0
      && waiting.size() >= static_cast<std::size_t>(limit->second)) {
    return false;
  }
  const std::string conv = entry.conv;
  auto position = at_head ? waiting.insert(waiting.begin(), std::move(entry))
                          : waiting.insert(waiting.end(), std::move(entry));
  queued_[conv] = position;
  return true;
}

void agent_pool::withdraw(const std::string& conv) {
  auto it = queued_.find(conv);
  if (it == queued_.end()) {
    return;
  }
  queues_[it->second->tier].erase(it->second);
  queued_.erase(it);
}

void agent_pool::raise_priority(const std::string& conv) {
  auto it = queued_.find(conv);
  if (it == queued_.end()) {
    return;
  }
  queue& waiting = queues_[it->second->tier];
  waiting.splice(waiting.begin(), waiting, it->second);
}

void agent_pool::relax_skills(const std::string& conv) {
  auto it = queued_.find(conv);
  if (it != queued_.end() && !it->second->skills.empty()) {
    it->second->skills.pop_back();
  }
}

void agent_pool::release(const std::string& agent, const std::string& conv, time_point now) {
  auto it = agents_.find(agent);
  if (it == agents_.end() || it->second.conversations.count(conv) == 0) {
    return;
  }
  change_agent(it->second, [&](agent_record& a) {
    a.conversations.erase(conv);
    if (a.conversations.empty()) {
      a.idle_since = now;
    }
  });
}

std::vector<std::string> agent_pool::drop_conversation(const std::string& conv, time_point now) {
  withdraw(conv);
  std::vector<std::string> holders;
  // A scan of every agent: this is for the rare conversation given up, not the hot path.
  for (auto& [id, agent] : agents_) {
    if (agent.conversations.count(conv) != 0) {
      holders.push_back(id);
    }
  }
  for (const auto& id : holders) {
    release(id, conv, now);
  }
  return holders;
}

agent_record* agent_pool::choose_agent(const queue_entry& entry, time_point now) {
  const bool waits_for_preferred = !entry.preferred_agent.empty() && now < entry.prefer_until;
  if (!entry.target_agent.empty() || waits_for_preferred) {
    auto it = agents_.find(waits_for_preferred ? entry.preferred_agent : entry.target_agent);
    if (it != agents_.end() && has_room(it->second)
        && !it->second.conversations.count(entry.conv)) {
      return &it->second;
    }
    return nullptr;
  }

  // Longest idle first; without skills or exclusions the first agent with room is the one.
  agent_record* excluded = nullptr;
  for (const auto& [idle_since, id] : with_room_) {
    agent_record& agent = agents_.at(id);
    if (!has_skills(agent, entry.skills)) {
      continue;
    }
    if (id == entry.excluded_agent) {
      excluded = &agent;
      continue;
    }
    return &agent;
  }
  // The agent who declined or let the offer expire gets it again only when nobody else can.
  return excluded;
}

std::vector<offer_decision> agent_pool::assign(time_point now) {
  std::vector<offer_decision> decisions;
  if (with_room_.empty()) {
    return decisions;  // The usual case at full load: nothing can move.
  }

  std::vector<std::pair<int, std::string>> order;
  for (const auto& [tier, waiting] : queues_) {
    if (!waiting.empty()) {
      auto priority = tier_priority_.find(tier);
      order.emplace_back(priority == tier_priority_.end() ? 0 : priority->second, tier);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  for (const auto& [priority, tier] : order) {
    queue& waiting = queues_[tier];
    // TODO(routing): a conversation needing a skill nobody free has is re-examined on every
    // assignment; index waiting conversations by skill set if such queues grow long.
    for (auto it = waiting.begin(); it != waiting.end() && !with_room_.empty();) {
      agent_record* chosen = choose_agent(*it, now);
      if (chosen == nullptr) {
        ++it;
        continue;
      }
      const std::string conv = it->conv;
      change_agent(*chosen, [&](agent_record& a) {
        a.conversations.insert(conv);
        a.idle_since = now;
      });
      decisions.push_back({conv, chosen->id, offer_prefix_ + "-" + std::to_string(++offers_)});
      queued_.erase(conv);
      it = waiting.erase(it);
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
