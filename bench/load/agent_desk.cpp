// What the agents played by `closed` and `open` do with their conversations.

#include "bench/load/agent_desk.hpp"

namespace blendroute::load {

void agent_desk::assigned(std::size_t agent, const std::string& conv, bool customer_done,
                          clock::time_point now) {
  // A new ownership replaces an older one of the same conversation; the older one's work is
  // then stale and skipped by its serial.
  ownership& owner = owned_[conv];
  owner = ownership{agent, ++next_serial_, 0, customer_done};
  schedule(conv, owner, now);
}

void agent_desk::message(std::size_t agent, const std::string& conv, bool last,
                         clock::time_point now) {
  const auto it = owned_.find(conv);
  if (it == owned_.end() || it->second.agent != agent) {
    return;
  }
  ownership& owner = it->second;
  if (last && owner.customer_done) {
    return;  // Its ack came first, and the reply that answers it is already due.
  }

  owner.customer_done = owner.customer_done || last;
  schedule(conv, owner, now);
}

void agent_desk::customer_done(const std::string& conv, clock::time_point now) {
  const auto it = owned_.find(conv);
  if (it == owned_.end() || it->second.customer_done) {
    return;
  }

  ownership& owner = it->second;
  owner.customer_done = true;
  // With a reply already due, that reply comes after the last message was applied: it
  // resolves. Otherwise the last message waits for an answer of its own.
  if (owner.due_replies == 0) {
    schedule(conv, owner, now);
  }
}

void agent_desk::revoked(std::size_t agent, const std::string& conv) {
  const auto it = owned_.find(conv);
  if (it != owned_.end() && it->second.agent == agent) {
    owned_.erase(it);
  }
}

void agent_desk::take_due(clock::time_point now, std::vector<agent_step>& out) {
  while (!work_.empty() && work_.front().due <= now) {
    work done = std::move(work_.front());
    work_.pop_front();
    const auto it = owned_.find(done.conv);
    if (it == owned_.end() || it->second.serial != done.serial) {
      continue;  // Revoked, or resolved and assigned again since.
    }

    ownership& owner = it->second;
    --owner.due_replies;
    const bool resolve = owner.customer_done && owner.due_replies == 0;
    out.push_back({owner.agent, done.conv, resolve});
    if (resolve) {
      owned_.erase(it);
    }
  }
}

void agent_desk::schedule(const std::string& conv, ownership& owner, clock::time_point now) {
  ++owner.due_replies;
  work_.push_back({now + think_, conv, owner.serial});
}

}  // namespace blendroute::load
