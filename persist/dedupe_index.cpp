// Claims, confirmations and releases of ingress ids.
#include "persist/dedupe_index.hpp"

namespace blendroute::persist {

dedupe_claim dedupe_index::claim(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = committed_.try_emplace(id, false);
  return inserted ? dedupe_claim::fresh : dedupe_claim::duplicate;
}

void dedupe_index::confirm(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  committed_[id] = true;
}

void dedupe_index::release(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = committed_.find(id);
  if (it != committed_.end() && !it->second) {
    committed_.erase(it);
  }
}

void dedupe_index::load_committed(std::string id) {
  std::lock_guard<std::mutex> lock(mutex_);
  committed_[std::move(id)] = true;
}

std::size_t dedupe_index::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return committed_.size();
}

}  // namespace blendroute::persist
