// Resolving customer events to the customer's conversation on their channel.
#include "actors/session_broker.hpp"

#include <unordered_set>

namespace blendroute::actors {
namespace {

std::string customer_key(const std::string& channel, const std::string& customer) {
  std::string key = channel;
  key.push_back('\0');
  key += customer;
  return key;
}

}  // namespace

std::string session_broker::resolve(const ingress_event& event,
                                    const std::function<bool(const std::string&)>& known) {
  {
    shard& s = shard_of(event.conv);
    std::lock_guard<std::mutex> lock(s.mutex);
    auto alias = s.aliases.find(event.conv);
    if (alias != s.aliases.end()) {
      return alias->second;
    }
  }
  if (event.type != event_type::customer_message || event.customer.empty()
      || event.channel.empty()) {
    return event.conv;
  }

  std::string key = customer_key(event.channel, event.customer);
  std::string canonical;
  {
    shard& s = shard_of(key);
    std::lock_guard<std::mutex> lock(s.mutex);
    auto [it, inserted] = s.by_customer.try_emplace(key, event.conv);
    if (inserted || it->second == event.conv || known(event.conv)) {
      // A first contact, the same id again, or a conversation the gateway already has: the
      // id stands (an explicit existing id is never redirected).
      return event.conv;
    }
    if (!known(it->second)) {
      // The customer's earlier conversation is over (its actor let go after the resume
      // window): this is a new contact under its own id.
      it->second = event.conv;
      return event.conv;
    }
    canonical = it->second;
  }

  shard& s = shard_of(event.conv);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto [alias, inserted] = s.aliases.try_emplace(event.conv, canonical);
  return alias->second;
}

void session_broker::remember(const std::string& channel, const std::string& customer,
                              const std::string& conv) {
  if (channel.empty() || customer.empty()) {
    return;
  }
  std::string key = customer_key(channel, customer);
  shard& s = shard_of(key);
  std::lock_guard<std::mutex> lock(s.mutex);
  s.by_customer.insert_or_assign(std::move(key), conv);
}

void session_broker::forget(const std::vector<std::string>& convs) {
  if (convs.empty()) {
    return;
  }
  const std::unordered_set<std::string> gone(convs.begin(), convs.end());
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    std::erase_if(s.by_customer, [&](const auto& entry) { return gone.count(entry.second) > 0; });
    std::erase_if(s.aliases, [&](const auto& entry) { return gone.count(entry.second) > 0; });
  }
}

}  // namespace blendroute::actors
