// The number of connections a listener holds open, bounded by listen.max_connections.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>

namespace blendroute::net {

/// Counts open connections against a maximum. Thread-safe: I/O threads take and release
/// slots; the metrics page reads the count.
class connection_limit {
public:
  /// One open connection's place, given back when the slot is destroyed. Move-only; a
  /// connection keeps its slot for as long as it lives (an upgraded HTTP connection hands
  /// it to its WebSocket stream).
  class slot {
  public:
    slot(slot&& other) noexcept : limit_(other.limit_) { other.limit_ = nullptr; }

    slot& operator=(slot&& other) noexcept {
      if (this != &other) {
        release();
        limit_ = other.limit_;
        other.limit_ = nullptr;
      }
      return *this;
    }

    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

    ~slot() { release(); }

  private:
    friend class connection_limit;

    explicit slot(connection_limit& limit) : limit_(&limit) {}

    void release() {
      if (limit_ != nullptr) {
        limit_->open_.fetch_sub(1, std::memory_order_relaxed);
        limit_ = nullptr;
      }
    }

    connection_limit* limit_;
  };

  /// Sets the maximum; the listener does, from its config, before it accepts.
  void limit_to(std::size_t max_open) { max_open_.store(max_open, std::memory_order_relaxed); }

  /// A slot for one more connection, or nullopt (counted as refused) when all are taken.
  std::optional<slot> try_take() {
    const std::size_t max_open = max_open_.load(std::memory_order_relaxed);
    std::size_t open = open_.load(std::memory_order_relaxed);
    do {
      if (open >= max_open) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
      }
    } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
    return slot(*this);
  }

  std::size_t open() const { return open_.load(std::memory_order_relaxed); }

  /// Connections refused since start because the listener was full.
  std::size_t refused() const { return refused_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::size_t> max_open_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> refused_{0};
};

}  // namespace blendroute::net
