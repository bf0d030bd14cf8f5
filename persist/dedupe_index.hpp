// The in-memory index of ingress ids that were accepted or are being applied.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "persist/journal.hpp"

namespace blendroute::persist {

/// Thread-safe set of ingress ids, each in flight or committed.
class dedupe_index {
public:
  dedupe_claim claim(const std::string& id);

  /// The id's record was written: it stays a duplicate for good.
  void confirm(const std::string& id);

  /// The id's event was rejected or its write failed: the id may be used again.
  void release(const std::string& id);

  /// Loads an id that the journal already holds (at start).
  void load_committed(std::string id);

  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  // TODO(persist): grows with every accepted id; drop ids past a retention window once
  // closed conversations are compacted (the journal retention work).
  std::unordered_map<std::string, bool> committed_;
};

}  // namespace blendroute::persist
