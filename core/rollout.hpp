// The rollout controller of DESIGN.md §7: a share of new conversations bot-first (the
// blended cohort), the rest straight to humans (control), stages advanced through QA gates,
// and a pause when containment drops from one window to the next.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/outcome.hpp"
#include "core/time.hpp"

namespace blendroute {

/// Pass/fail thresholds on the blended cohort's KPIs over one window; a threshold left
/// unset is not checked.
struct qa_gate {
  std::uint64_t min_conversations = 0;  ///< Finished blended conversations needed to judge.
  std::optional<double> min_containment;
  std::optional<double> max_escalation_rate;
  std::optional<double> min_first_contact_resolution;
  std::optional<double> min_csat;  ///< The mean score, 1–5.
  std::optional<double> min_human_response_attainment;

  bool operator==(const qa_gate&) const = default;
};

/// One stage: the share of new customers in the blended cohort, and the gate to pass before
/// the next stage.
struct rollout_stage {
  std::string name;
  double share = 1.0;  ///< 0–1, rising from stage to stage.
  qa_gate gate;

  bool operator==(const rollout_stage&) const = default;
};

struct rollout_config {
  bool enabled = false;  ///< Off: every conversation starts with the bot.
  std::vector<rollout_stage> stages;
  duration window{3'600'000};  ///< The windows gates and the containment check use. ≥ 1 s.
  /// Scaling pauses when containment falls by more than this share of the previous
  /// window's (0.05: from 60 % to below 57 %). 0–1.
  double max_containment_drop = 0.05;
  /// Windows with fewer finished blended conversations are not compared (too few to mean
  /// anything). ≥ 0.
  std::uint64_t min_conversations_to_compare = 20;

  bool operator==(const rollout_config&) const = default;
};

/// Which cohort a new conversation belongs to.
enum class cohort : std::uint8_t { blended, control };

std::string_view name(cohort c);

/// A stable position of `customer` in [0, 1): the same customer always gets the same one,
/// so that raising the share only moves control customers into the blended cohort.
double cohort_position(std::string_view customer);

/// What the blended cohort did in one window.
struct rollout_window {
  time_point started_at{};
  std::uint64_t finished = 0;
  std::uint64_t contained = 0;  ///< Resolved without a human.
  std::uint64_t escalated = 0;
  std::uint64_t resolved = 0;
  std::uint64_t reopened = 0;
  std::uint64_t first_contact_resolved = 0;  ///< Resolved and never reopened.
  std::uint64_t csat_count = 0;
  std::uint64_t csat_sum = 0;
  std::uint64_t human_response_applied = 0;
  std::uint64_t human_response_breached = 0;
  std::map<std::string, std::uint64_t, std::less<>>
      escalated_intents;  ///< The bot's intent at escalation.

  std::optional<double> containment() const;
  std::optional<double> escalation_rate() const;
  std::optional<double> first_contact_resolution() const;
  std::optional<double> csat() const;  ///< The mean score, 1–5.
  std::optional<double> human_response_attainment() const;
};

/// What the controller did when a window closed, or an operator acted.
struct rollout_event {
  enum class kind : std::uint8_t { advanced, held, paused, resumed, stage_set, nothing };
  kind what = kind::nothing;
  std::string stage;   ///< The stage now.
  std::string reason;  ///< Why: the gate that failed, the containment drop, who acted.
  std::vector<std::pair<std::string, std::uint64_t>> top_escalated_intents;  ///< On a pause.
};

std::string_view name(rollout_event::kind k);

/// The controller's state machine. Pure and single-threaded: the caller serialises access
/// and gives the time.
class rollout_controller {
public:
  /// `window_start`: when the first window starts (endings before it were never counted).
  rollout_controller(rollout_config cfg, time_point window_start);

  /// The cohort of a new conversation of `customer` at the current stage.
  cohort cohort_for(std::string_view customer) const;

  /// Counts one finished blended conversation, `conv`, into the current window; `intent` is
  /// the bot's at escalation.
  void record_finished(std::string_view conv, const conversation_outcome& outcome,
                       std::string_view intent);

  /// A resolved blended conversation was reopened: its ending `undone` (with the bot's
  /// `intent` at escalation) no longer counts, if the current window counted it.
  void record_reopened(std::string_view conv, const conversation_outcome& undone,
                       std::string_view intent);

  void record_csat(int score);

  /// A human_response SLA started to apply (`breached` when it is known missed at once).
  void record_human_response(bool breached);

  /// One of the human_response SLAs counted as applied was breached.
  void record_human_response_breach();

  /// Closes the current window: compares its containment with the previous window's
  /// (pausing on a drop), then judges the stage's gate (advancing when it passes and the
  /// controller is not paused). Starts a new window at `next_window_start`.
  rollout_event close_window(time_point next_window_start);

  rollout_event pause(const std::string& why);

  rollout_event resume(const std::string& why);

  /// Moves to the stage called `stage` (an operator's decision, past any gate); nullopt
  /// when there is no such stage.
  std::optional<rollout_event> set_stage(const std::string& stage, const std::string& why);

  /// Restores a state read back after a restart; unknown stage names are ignored.
  void restore(const std::string& stage, bool paused, const std::string& pause_reason);

  const rollout_config& config() const { return cfg_; }

  const rollout_stage& stage() const { return cfg_.stages[stage_]; }

  bool paused() const { return paused_; }

  const std::string& pause_reason() const { return pause_reason_; }

  const rollout_window& current_window() const { return current_; }

  const std::optional<rollout_window>& previous_window() const { return previous_; }

  /// Replaces the configuration (a reload), keeping the stage by name when it still exists.
  void reconfigure(rollout_config cfg);

private:
  /// The name of the first gate threshold `window` misses, or empty when it passes.
  std::string gate_failure(const qa_gate& gate, const rollout_window& window) const;

  rollout_config cfg_;
  std::size_t stage_ = 0;
  bool paused_ = false;
  std::string pause_reason_;
  rollout_window current_;
  /// The conversations whose endings the current window counted (hashes of their ids), so
  /// that a reopen takes off only an ending counted here, never one an earlier window
  /// already judged, whatever the clocks of the threads that recorded them said.
  std::unordered_set<std::size_t> ended_in_current_;
  std::optional<rollout_window> previous_;
};

}  // namespace blendroute
