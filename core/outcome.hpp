// How a conversation ended, as the outcome KPIs and the rollout's QA gates count it.
#pragma once

#include "core/time.hpp"

namespace blendroute {

/// How a conversation ended (reached resolved, abandoned or closed).
struct conversation_outcome {
  bool resolved = false;
  bool abandoned = false;
  bool escalated = false;  ///< A human was asked for at some point.
  /// Resolved without ever being reopened (this episode): a first-contact resolution.
  bool first_contact = false;
  int transfers = 0;
  duration handle_time{0};  ///< From opening to the end.
  time_point ended_at{};    ///< When it reached resolved, abandoned or closed.
};

}  // namespace blendroute
