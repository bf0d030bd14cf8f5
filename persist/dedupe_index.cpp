// Claims, confirmations and releases of ingress ids.
#include "persist/dedupe_index.hpp"

namespace blendroute::persist {

dedupe_claim dedupe_index::claim(const std::string& id, claim_decided decided) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = ids_.try_emplace(id);
  if (inserted) {
    return dedupe_claim::fresh;
  }
  if (it->second.committed) {
    return dedupe_claim::duplicate;
  }
  it->second.waiting.push_back(std::move(decided));
  return dedupe_claim::deferred;
}

void dedupe_index::confirm(const std::string& id) {
  std::vector<claim_decided> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entry& e = ids_[id];
    e.committed = true;
    waiting.swap(e.waiting);
  }
  // Called without the lock: a waiter answers its client, which may claim again.
  for (auto& decided : waiting) {
    decided(true);
  }
}

void dedupe_index::release(const std::string& id) {
  claim_decided next_owner;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = ids_.find(id);
    if (it == ids_.end() || it->second.committed) {
      return;
    }
    if (it->second.waiting.empty()) {
      ids_.erase(it);
      return;
    }
    auto& waiting = it->second.waiting;
    next_owner = std::move(waiting.front());
    waiting.erase(waiting.begin());
  }
  next_owner(false);
}

void dedupe_index::confirm_all(const std::vector<const std::string*>& ids) {
  std::vector<claim_decided> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string* id : ids) {
      entry& e = ids_[*id];
      e.committed = true;
      for (auto& decided : e.waiting) {
        waiting.push_back(std::move(decided));
      }
      e.waiting.clear();
    }
  }
  for (auto& decided : waiting) {
    decided(true);
  }
}

void dedupe_index::release_all(const std::vector<const std::string*>& ids) {
  for (const std::string* id : ids) {
    release(*id);
  }
}

void dedupe_index::forget(const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& id : ids) {
    auto it = ids_.find(id);
    if (it != ids_.end() && it->second.committed) {
      ids_.erase(it);
    }
  }
}

void dedupe_index::load_committed(std::string id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ids_[std::move(id)].committed = true;
}

void dedupe_index::reserve(std::size_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  ids_.reserve(count);
}

std::size_t dedupe_index::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ids_.size();
}

}  // namespace blendroute::persist
