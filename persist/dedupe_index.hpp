// The in-memory index of ingress ids that were accepted or are being applied.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "persist/journal.hpp"

namespace blendroute::persist {

/// Thread-safe set of ingress ids, each in flight or committed. Events that arrive while
/// their id is in flight wait for its outcome instead of guessing it.
class dedupe_index {
public:
  dedupe_claim claim(const std::string& id, claim_decided decided);

  /// The id's record was written: it stays a duplicate for good; waiting events are told.
  void confirm(const std::string& id);

  /// The id's event was rejected or its write failed: the oldest waiting event takes the
  /// id over, or, with none waiting, the id may be used again.
  void release(const std::string& id);

  /// `confirm` for the ids of one group commit, under one lock.
  void confirm_all(const std::vector<const std::string*>& ids);

  /// `release` for the ids of a failed group commit.
  void release_all(const std::vector<const std::string*>& ids);

  /// Drops committed ids whose retention is over; ids in flight stay.
  void forget(const std::vector<std::string>& ids);

  /// Loads an id that the journal already holds (at start).
  void load_committed(std::string id);

  /// Makes room for `count` ids in all, before loading many.
  void reserve(std::size_t count);

  std::size_t size() const;

private:
  mutable std::mutex mutex_;

  // Holds every id accepted within `journal.retention`; retention drops older ones.
  struct entry {
    bool committed = false;
    /// Events with the same id waiting for this one's outcome, oldest first. Nearly always
    /// empty; a vector, because an empty libstdc++ deque allocates about 600 bytes, and
    /// there is one entry per ingress id.
    std::vector<claim_decided> waiting;
  };

  // Open addressing: one probe per claim and per confirm on a table of millions of ids,
  // where std::unordered_map chased a node pointer for each (BM_Journal_Append).
  absl::flat_hash_map<std::string, entry> ids_;
};

}  // namespace blendroute::persist
