// Which actor runs each conversation; read by I/O threads, written by the tier routers.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

#include "core/time.hpp"

namespace blendroute::actors {

/// A sharded map from conversation id to its actor. Lookups from many I/O threads take one
/// shard's lock only, so they rarely contend.
///
/// It also knows the archived conversations: finished ones whose actor was let go (or never
/// restored at start) while their history stays in the journal, so that a customer who
/// writes again continues from that history instead of starting blank.
class conversation_directory {
public:
  std::optional<caf::actor> find(const std::string& conv) const;

  /// The actor of `conv`; for an archived conversation, the one `restore` spawns from its
  /// history, registered before any other thread can open `conv` afresh. nullopt when `conv`
  /// is neither registered nor archived, or when `restore` gives up (returns an invalid
  /// actor; `conv` stays archived). `restore` runs under a shard lock: it must not use the
  /// directory.
  std::optional<caf::actor> find_or_restore(const std::string& conv,
                                            const std::function<caf::actor()>& restore);

  /// Remembers that `conv` has a finished history in the journal and no actor; it finished
  /// at `finished_at`.
  void archive(const std::string& conv, time_point finished_at);

  std::size_t archived() const;

  /// Takes out every archived conversation that finished before `before` and hands them to
  /// `forget`, a shard at a time and under that shard's lock, so that a customer writing to
  /// one of them meanwhile opens a fresh conversation only after `forget` has queued the
  /// deletion of the old history (its records come after it). Returns how many went.
  std::size_t expire_archived(time_point before,
                              const std::function<void(std::vector<std::string>)>& forget);

  /// Registers `actor` for `conv` unless one is registered; returns the registered one.
  caf::actor insert(const std::string& conv, caf::actor actor);

  void erase(const std::string& conv);

  /// Erases `conv` only while `actor` is the one registered (a newer actor may have taken
  /// the id over). Returns whether it was erased.
  bool erase_if(const std::string& conv, const caf::actor_addr& actor);

  /// Registers `actor` for `conv` in place of `previous`, only while `previous` is the one
  /// registered. Returns whether it was replaced.
  bool replace_if(const std::string& conv, const caf::actor_addr& previous, caf::actor actor);

  std::size_t size() const;

  /// Calls `visit` for every registered actor (at shutdown).
  void for_each(const std::function<void(const caf::actor&)>& visit) const;

  void clear();

private:
  static constexpr std::size_t shard_count = 64;

  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, caf::actor> actors;
    /// Archived conversations and when they finished; retention takes them out.
    std::unordered_map<std::string, time_point> archived;
  };

  shard& shard_of(const std::string& conv) const {
    return shards_[std::hash<std::string>{}(conv) % shard_count];
  }

  mutable std::array<shard, shard_count> shards_;
};

}  // namespace blendroute::actors
