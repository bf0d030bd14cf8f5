// The rollout controller shared by the router (cohorts), the conversation actors (outcomes)
// and the admin API, with its decisions logged and journaled.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <caf/fwd.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rollout.hpp"
#include "core/time.hpp"
#include "persist/journal.hpp"

namespace blendroute::actors {

/// A rollout_controller behind a mutex. Every decision (a window's outcome, an operator's
/// pause, resume or stage) is logged at info and journaled as a control record of
/// `rollout`, whose latest state a restart restores. Thread-safe.
class rollout_board {
public:
  /// `journal` and `log` may be null (tests); they must outlive the board.
  rollout_board(rollout_config cfg, persist::journal* journal, log_sink* log,
                std::function<time_point()> clock);

  /// Restores the stage and the pause from the journal; call once at start.
  void restore();

  cohort cohort_for(std::string_view customer);

  /// Runs `what` on the controller under the lock (outcome counting).
  template <class Record>
  void record(Record&& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    what(controller_);
  }

  /// Closes the current window (the rollout actor calls it every `rollout.window`).
  void close_window();

  /// The operator's actions (`by` names who, for the audit). Each answers the status JSON,
  /// or a bad_value error (an unknown stage).
  result<std::string> pause(const std::string& by, const std::string& why);
  result<std::string> resume(const std::string& by);
  result<std::string> set_stage(const std::string& stage, const std::string& by);

  /// The state as JSON (`GET /v1/admin/rollout`).
  std::string status();

  /// A reload: the new stages and gates, keeping the current stage by name.
  void reconfigure(const rollout_config& cfg);

  duration window() const;

private:
  /// Logs and journals `event`; with mutex_ held.
  void announce(const rollout_event& event, const std::string& by);

  std::string status_locked() const;

  mutable std::mutex mutex_;
  rollout_controller controller_;
  std::optional<rollout_event> last_event_;
  persist::journal* journal_;
  log_sink* log_;
  std::function<time_point()> clock_;
};

/// Spawns the actor that closes the rollout's window every `board->window()`. The board must
/// outlive it.
caf::actor spawn_rollout_actor(caf::actor_system& system, rollout_board* board);

}  // namespace blendroute::actors
