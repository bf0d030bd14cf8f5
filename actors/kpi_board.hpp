// The KPI window shared by every conversation actor.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/kpi.hpp"

namespace blendroute::actors {

/// A `kpi_window` behind a mutex: conversation actors record on their own threads; the HTTP
/// listener reads. Each record takes the lock once.
class kpi_board {
public:
  explicit kpi_board(duration window) : window_(window) {}

  template <class Record>
  void record(Record&& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    what(window_);
  }

  std::map<std::string, kpi_summary> by_tier(time_point now) {
    std::lock_guard<std::mutex> lock(mutex_);
    return window_.by_tier(now);
  }

  duration window() const { return window_.window(); }

private:
  std::mutex mutex_;
  kpi_window window_;
};

}  // namespace blendroute::actors
