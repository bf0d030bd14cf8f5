// The KPI window shared by every conversation actor.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "core/kpi.hpp"

namespace blendroute::actors {

/// A `kpi_window` behind a mutex: conversation actors record on their own threads; the HTTP
/// listener reads. Each record takes the lock once.
class kpi_board {
public:
  /// `started` is when recording began: before a full window has passed, the counts cover
  /// only the time since.
  kpi_board(duration window, time_point started) : window_(window, started), started_(started) {}

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

  /// How much of the window the counts at `now` cover: the window, or less since start.
  duration observed(time_point now) const {
    return std::min(window_.window(), std::max(duration{0}, now - started_));
  }

private:
  std::mutex mutex_;
  kpi_window window_;
  const time_point started_;
};

}  // namespace blendroute::actors
