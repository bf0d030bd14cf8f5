// Routing of egress frames to bot, agent, gateway and supervisor sessions.
#include "net/session_registry.hpp"

#include <algorithm>
#include <functional>

#include "net/frame_encoder.hpp"

namespace blendroute::net {
namespace {

void erase_session(std::vector<std::shared_ptr<session>>& sessions, const session* s) {
  sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                [s](const std::shared_ptr<session>& x) { return x.get() == s; }),
                 sessions.end());
}

}  // namespace

std::shared_ptr<const std::string> session_registry::encode(const egress_frame& frame) {
  auto line = std::make_shared<std::string>();
  encode_egress(*line, frame);
  return line;
}

void session_registry::add(const std::shared_ptr<session>& s, role who, const std::string& agent) {
  bool first_of_agent = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    switch (who) {
      case role::bot:
        bots_.push_back(s);
        break;
      case role::agent: {
        auto& sessions = agents_[agent];
        first_of_agent = sessions.empty();
        sessions.push_back(s);
        break;
      }
      case role::supervisor:
      case role::admin:
        supervisors_.push_back(s);
        // Under the lock, so that what was missed goes out before anything sent after. One
        // post per frame (a WebSocket message holds one): at most 10,000, once, when a
        // supervisor comes back after none was connected.
        for (const auto& line : supervisor_backlog_) {
          s->deliver(line);
        }
        supervisor_backlog_.clear();
        supervisor_backlog_bytes_ = 0;
        break;
      case role::gateway:
        gateways_.push_back(s);
        break;
    }
  }
  if (first_of_agent && watch_agents_) {
    watch_agents_(agent, true);
  }
  // What waited for this receiver goes out at the next resend.
  using kind = delivery_receiver::kind;
  deliveries_.wake(
      [&](const delivery_receiver& to) {
        switch (who) {
          case role::bot:
            return to.what == kind::bot;
          case role::agent:
            return to.what == kind::agent && to.agent == agent;
          case role::gateway:
            return to.what == kind::gateway;
          case role::supervisor:
          case role::admin:
            break;
        }
        return false;
      },
      delivery_tracker::clock::now());
  if (who != role::supervisor && who != role::admin) {
    resend_due();
  }
}

void session_registry::remove(const session* s, role who, const std::string& agent) {
  bool last_of_agent = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_of_agent = remove_locked(s, who, agent);
  }
  if (last_of_agent && watch_agents_) {
    watch_agents_(agent, false);
  }
  if (who == role::bot) {
    hand_over_if_no_bot();
  }
}

void session_registry::hand_over_if_no_bot() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!bots_.empty() || !embedded_bot_) {
      return;
    }
  }
  for (const auto& request : deliveries_.take_bot_requests()) {
    embedded_bot_(*request);
  }
}

bool session_registry::remove_locked(const session* s, role who, const std::string& agent) {
  switch (who) {
    case role::bot:
      erase_session(bots_, s);
      break;
    case role::agent: {
      auto it = agents_.find(agent);
      if (it != agents_.end()) {
        erase_session(it->second, s);
        if (it->second.empty()) {
          agents_.erase(it);
          return true;
        }
      }
      break;
    }
    case role::supervisor:
    case role::admin:
      erase_session(supervisors_, s);
      break;
    case role::gateway:
      erase_session(gateways_, s);
      break;
  }
  return false;
}

void session_registry::carry(const std::string& conv, const std::shared_ptr<session>& gateway) {
  auto& shard = carriers_[std::hash<std::string>{}(conv) % carrier_shards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.gateways[conv] = gateway;
}

void session_registry::forget_conversations(const std::vector<std::string>& convs) {
  for (const auto& conv : convs) {
    auto& shard = carriers_[std::hash<std::string>{}(conv) % carrier_shards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.gateways.erase(conv);
  }
}

std::size_t session_registry::carried_conversations() const {
  std::size_t count = 0;
  for (const auto& shard : carriers_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    count += shard.gateways.size();
  }
  return count;
}

bool session_registry::may_acknowledge(const std::string& id, role who,
                                       const std::string& agent) const {
  return deliveries_.may_acknowledge(id, who, agent);
}

void session_registry::acknowledge(const std::string& id) {
  deliveries_.acknowledge(id);
}

void session_registry::resend_due() {
  deliveries_.resend_due(
      delivery_tracker::clock::now(),
      [this](const delivery_receiver& to, const std::shared_ptr<const std::string>& line) {
        return send_line(to, line);
      });
  hand_over_if_no_bot();
}

std::size_t session_registry::pending_deliveries() const {
  return deliveries_.pending();
}

std::shared_ptr<session> session_registry::gateway_for(const std::string& conv) {
  {
    auto& shard = carriers_[std::hash<std::string>{}(conv) % carrier_shards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.gateways.find(conv);
    if (it != shard.gateways.end()) {
      if (auto carrier = it->second.lock()) {
        return carrier;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (gateways_.empty()) {
    return nullptr;
  }
  return gateways_[next_gateway_.fetch_add(1, std::memory_order_relaxed) % gateways_.size()];
}

std::vector<std::shared_ptr<session>> session_registry::find_receivers(
    const delivery_receiver& to) {
  std::vector<std::shared_ptr<session>> targets;
  switch (to.what) {
    case delivery_receiver::kind::bot: {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!bots_.empty()) {
        targets.push_back(bots_[next_bot_.fetch_add(1, std::memory_order_relaxed) % bots_.size()]);
      }
      break;
    }
    case delivery_receiver::kind::agent: {
      std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = agents_.find(to.agent); it != agents_.end()) {
        targets = it->second;
      }
      break;
    }
    case delivery_receiver::kind::gateway:
      if (auto gateway = gateway_for(to.conv)) {
        targets.push_back(std::move(gateway));
      }
      break;
  }
  return targets;
}

bool session_registry::send_line(const delivery_receiver& to,
                                 const std::shared_ptr<const std::string>& line) {
  const auto targets = find_receivers(to);
  for (const auto& target : targets) {
    target->deliver(line);
  }
  return !targets.empty();
}

bool session_registry::send_to_bot(const egress_frame& frame) {
  auto line = encode(frame);
  const delivery_receiver to{delivery_receiver::kind::bot, {}, frame.conv};
  const auto targets = find_receivers(to);
  if (targets.empty()) {
    return false;  // The embedded bot answers; nothing to re-send.
  }
  if (!frame.delivery.empty()) {
    deliveries_.track_bot_request(frame.delivery, std::make_shared<const egress_frame>(frame), line,
                                  delivery_tracker::clock::now());
  }
  for (const auto& target : targets) {
    target->deliver(line);
  }
  return true;
}

bool session_registry::send_to_agent(const std::string& agent, const egress_frame& frame) {
  if (frame.type == egress_type::agent_revoked) {
    // What the agent was sent about this conversation is moot now.
    deliveries_.cancel_for_agent(agent, frame.conv);
  }
  return send_tracked({delivery_receiver::kind::agent, agent, frame.conv}, frame);
}

bool session_registry::send_to_gateway(const egress_frame& frame) {
  return send_tracked({delivery_receiver::kind::gateway, {}, frame.conv}, frame);
}

bool session_registry::send_tracked(const delivery_receiver& to, const egress_frame& frame) {
  auto line = encode(frame);
  const auto targets = find_receivers(to);
  if (!frame.delivery.empty()) {
    deliveries_.track(frame.delivery, to, line, !targets.empty(), delivery_tracker::clock::now());
  }
  for (const auto& target : targets) {
    target->deliver(line);
  }
  return !targets.empty();
}

void session_registry::send_to_supervisors(const egress_frame& frame) {
  auto line = encode(frame);
  std::vector<std::shared_ptr<session>> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (supervisors_.empty()) {
      supervisor_backlog_bytes_ += line->size();
      supervisor_backlog_.push_back(std::move(line));
      while (supervisor_backlog_.size() > supervisor_backlog_lines
             || supervisor_backlog_bytes_ > supervisor_backlog_limit_) {
        supervisor_backlog_bytes_ -= supervisor_backlog_.front()->size();
        supervisor_backlog_.pop_front();
        counters_.supervisor_frames_dropped.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    targets = supervisors_;
  }
  for (auto& target : targets) {
    target->deliver(line);
  }
}

}  // namespace blendroute::net
