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
  std::lock_guard<std::mutex> lock(mutex_);
  switch (who) {
    case role::bot:
      bots_.push_back(s);
      break;
    case role::agent:
      agents_[agent].push_back(s);
      break;
    case role::supervisor:
    case role::admin:
      supervisors_.push_back(s);
      break;
    case role::gateway:
      break;
  }
}

void session_registry::remove(const session* s, role who, const std::string& agent) {
  std::lock_guard<std::mutex> lock(mutex_);
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
        }
      }
      break;
    }
    case role::supervisor:
    case role::admin:
      erase_session(supervisors_, s);
      break;
    case role::gateway:
      break;
  }
}

void session_registry::carry(const std::string& conv, const std::shared_ptr<session>& gateway) {
  auto& shard = carriers_[std::hash<std::string>{}(conv) % carrier_shards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.gateways[conv] = gateway;
}

bool session_registry::send_to_bot(const egress_frame& frame) {
  std::shared_ptr<session> target;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (bots_.empty()) {
      return false;
    }
    target = bots_[next_bot_.fetch_add(1, std::memory_order_relaxed) % bots_.size()];
  }
  target->deliver(encode(frame));
  return true;
}

bool session_registry::send_to_agent(const std::string& agent, const egress_frame& frame) {
  std::vector<std::shared_ptr<session>> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = agents_.find(agent);
    if (it == agents_.end()) {
      return false;
    }
    targets = it->second;
  }
  auto line = encode(frame);
  for (auto& target : targets) {
    target->deliver(line);
  }
  return true;
}

bool session_registry::send_to_gateway(const egress_frame& frame) {
  std::shared_ptr<session> target;
  {
    auto& shard = carriers_[std::hash<std::string>{}(frame.conv) % carrier_shards];
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.gateways.find(frame.conv);
    if (it == shard.gateways.end()) {
      return false;
    }
    target = it->second.lock();
  }
  if (!target) {
    return false;
  }
  target->deliver(encode(frame));
  return true;
}

void session_registry::send_to_supervisors(const egress_frame& frame) {
  std::vector<std::shared_ptr<session>> targets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (supervisors_.empty()) {
      return;
    }
    targets = supervisors_;
  }
  auto line = encode(frame);
  for (auto& target : targets) {
    target->deliver(line);
  }
}

}  // namespace blendroute::net
