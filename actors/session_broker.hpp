// The session broker: a customer who comes back on the same channel continues the same
// conversation, whatever conversation id the gateway's new session gives it.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"

namespace blendroute::actors {

/// Maps (channel, customer) to the customer's conversation, and the ids a gateway used for
/// it since to that conversation. Thread-safe; I/O threads resolve before dispatching.
///
/// TODO(actors): aliases are not journaled, so a restart forgets them until the customer
/// writes again under the alias (recovery restores only the (channel, customer) map); a
/// `customer.left` under a forgotten alias is refused as unknown_conversation. Journal the
/// gateway's id with the message that made it an alias if gateways are seen to rely on it.
class session_broker {
public:
  /// The conversation a customer event belongs to. A `customer.message` that names a new
  /// conversation id for a customer who already has a live one on that channel (open, or
  /// finished inside its resume window) is mapped to that one; the new id becomes an alias
  /// for it. Ids are returned unchanged otherwise. `known(conv)` says whether `conv` has an
  /// actor now.
  std::string resolve(const ingress_event& event,
                      const std::function<bool(const std::string&)>& known);

  /// After a restart: `customer` on `channel` has the conversation `conv`.
  void remember(const std::string& channel, const std::string& customer, const std::string& conv);

  /// Drops every mapping to `convs`, whose retention is over. Walks every mapping once.
  void forget(const std::vector<std::string>& convs);

private:
  static constexpr std::size_t shard_count = 16;

  struct shard {
    std::mutex mutex;
    // Both keep an entry per customer and alias until retention forgets the conversation.
    std::unordered_map<std::string, std::string> by_customer;  ///< channel\0customer → conv.
    std::unordered_map<std::string, std::string> aliases;      ///< gateway id → conv.
  };

  shard& shard_of(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % shard_count];
  }

  std::array<shard, shard_count> shards_;
};

}  // namespace blendroute::actors
