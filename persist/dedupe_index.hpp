// The in-memory index of ingress ids that were accepted or are being applied.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

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

  /// Loads an id that the journal already holds (at start).
  void load_committed(std::string id);

  std::size_t size() const;

private:
  mutable std::mutex mutex_;

  // TODO(persist): grows with every accepted id; drop ids past a retention window once
  // closed conversations are compacted (the journal retention work).
  struct entry {
    bool committed = false;
    std::deque<claim_decided> waiting;
  };

  std::unordered_map<std::string, entry> ids_;
};

}  // namespace blendroute::persist
