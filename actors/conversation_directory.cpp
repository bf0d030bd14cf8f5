// Sharded lookups of conversation actors.
#include "actors/conversation_directory.hpp"

namespace blendroute::actors {

std::optional<caf::actor> conversation_directory::find(const std::string& conv) const {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.actors.find(conv);
  if (it == s.actors.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<caf::actor> conversation_directory::find_or_restore(
    const std::string& conv, const std::function<caf::actor()>& restore) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  if (auto it = s.actors.find(conv); it != s.actors.end()) {
    return it->second;
  }
  auto archived = s.archived.find(conv);
  if (archived == s.archived.end()) {
    return std::nullopt;
  }

  caf::actor restored = restore();
  if (!restored) {
    return std::nullopt;
  }
  s.archived.erase(archived);
  s.actors.emplace(conv, restored);
  return restored;
}

void conversation_directory::archive(const std::string& conv, time_point finished_at) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.archived.insert_or_assign(conv, finished_at);
}

std::size_t conversation_directory::expire_archived(
    time_point before, const std::function<void(std::vector<std::string>)>& forget) {
  std::size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    std::vector<std::string> expired;
    for (auto it = s.archived.begin(); it != s.archived.end();) {
      if (it->second < before) {
        expired.push_back(it->first);
        it = s.archived.erase(it);
      } else {
        ++it;
      }
    }
    total += expired.size();
    if (!expired.empty()) {
      forget(std::move(expired));
    }
  }
  return total;
}

std::size_t conversation_directory::archived() const {
  std::size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    total += s.archived.size();
  }
  return total;
}

caf::actor conversation_directory::insert(const std::string& conv, caf::actor actor) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto [it, inserted] = s.actors.try_emplace(conv, std::move(actor));
  return it->second;
}

void conversation_directory::erase(const std::string& conv) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.actors.erase(conv);
}

bool conversation_directory::erase_if(const std::string& conv, const caf::actor_addr& actor) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.actors.find(conv);
  if (it == s.actors.end() || it->second.address() != actor) {
    return false;
  }
  s.actors.erase(it);
  return true;
}

bool conversation_directory::replace_if(const std::string& conv, const caf::actor_addr& previous,
                                        caf::actor actor) {
  shard& s = shard_of(conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.actors.find(conv);
  if (it == s.actors.end() || it->second.address() != previous) {
    return false;
  }
  it->second = std::move(actor);
  return true;
}

std::size_t conversation_directory::size() const {
  std::size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    total += s.actors.size();
  }
  return total;
}

void conversation_directory::for_each(const std::function<void(const caf::actor&)>& visit) const {
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (const auto& [conv, actor] : s.actors) {
      visit(actor);
    }
  }
}

void conversation_directory::clear() {
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.actors.clear();
    s.archived.clear();
  }
}

}  // namespace blendroute::actors
