// Connected sessions by role, and the egress sink that routes frames to them.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/egress.hpp"
#include "core/event.hpp"

namespace blendroute::net {

/// One authenticated connection that can receive lines. Thread-safe.
class session {
public:
  virtual ~session() = default;

  /// Queues one encoded line (ending in a newline) for sending; never blocks.
  virtual void deliver(std::shared_ptr<const std::string> line) = 0;
};

/// Tracks who is connected and sends egress frames to the right sessions. Thread-safe: I/O
/// threads add and remove sessions, actor threads send.
class session_registry final : public egress_sink {
public:
  void add(const std::shared_ptr<session>& s, role who, const std::string& agent);

  void remove(const session* s, role who, const std::string& agent);

  /// Records that `gateway` most recently sent a customer event for `conv`.
  void carry(const std::string& conv, const std::shared_ptr<session>& gateway);

  bool send_to_bot(const egress_frame& frame) override;
  bool send_to_agent(const std::string& agent, const egress_frame& frame) override;
  bool send_to_gateway(const egress_frame& frame) override;
  void send_to_supervisors(const egress_frame& frame) override;

private:
  static constexpr std::size_t carrier_shards = 16;

  struct carrier_shard {
    std::mutex mutex;
    // TODO(net): entries stay after a conversation closes; drop them with the conversation
    // once closed conversations are compacted.
    std::unordered_map<std::string, std::weak_ptr<session>> gateways;
  };

  static std::shared_ptr<const std::string> encode(const egress_frame& frame);

  std::mutex mutex_;
  std::vector<std::shared_ptr<session>> bots_;
  std::vector<std::shared_ptr<session>> supervisors_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<session>>> agents_;
  std::atomic<std::size_t> next_bot_{0};
  std::array<carrier_shard, carrier_shards> carriers_;
};

}  // namespace blendroute::net
