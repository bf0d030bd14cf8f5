// The outcome KPIs of DESIGN.md §7 over a sliding window: containment, escalation rate,
// transfers, first-contact resolution, handle time, CSAT and SLA attainment.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/outcome.hpp"
#include "core/time.hpp"

namespace blendroute {

/// The counts of a window, for one tier or all of them, and the ratios made from them. A
/// conversation counts by its latest ending: a reopen withdraws the ending it undid.
struct kpi_summary {
  std::uint64_t finished = 0;
  std::uint64_t contained = 0;  ///< Resolved without a human ever being asked for.
  std::uint64_t escalated = 0;
  std::uint64_t resolved = 0;
  std::uint64_t abandoned = 0;
  std::uint64_t transfers = 0;
  std::uint64_t reopened = 0;  ///< Resolved ones the customer reopened in the resume window.
  std::uint64_t first_contact_resolved = 0;  ///< Resolved and never reopened.
  std::uint64_t csat_count = 0;
  std::uint64_t csat_sum = 0;
  std::uint64_t handled = 0;  ///< Escalated and resolved: the ones a human handled.
  duration handle_time{0};    ///< Summed over `handled`.
  /// Per SLA (indexed by sla_kind): how many times it applied, and was breached.
  std::array<std::uint64_t, 4> sla_opportunities{};
  std::array<std::uint64_t, 4> sla_breaches{};

  /// Shares and means; nullopt while what they divide by is zero.
  std::optional<double> containment() const;
  std::optional<double> escalation_rate() const;
  std::optional<double> first_contact_resolution() const;
  std::optional<double> average_handle_seconds() const;
  std::optional<double> csat() const;
  std::optional<double> attainment(sla_kind sla) const;

  void add(const kpi_summary& other);
};

/// KPI counts per tier over the last `window`, kept in 60 slices of it (so a reading covers
/// between 59/60 and all of the window). Pure and single-threaded; time is passed in.
class kpi_window {
public:
  /// `started`: when counting began (this process's start); nothing before it was counted.
  kpi_window(duration window, time_point started);

  void record_outcome(const std::string& tier, const conversation_outcome& outcome, time_point at);

  /// A resolved conversation was reopened inside its resume window: `undone`, its ending
  /// recorded before, no longer counts (the conversation counts again when it ends again).
  void record_reopen(const std::string& tier, const conversation_outcome& undone, time_point at);

  void record_csat(const std::string& tier, int score, time_point at);

  /// An SLA started to apply (its timer was armed; for bot_max_turns, the bot took over).
  void record_sla_opportunity(const std::string& tier, sla_kind sla, time_point at);

  void record_sla_breach(const std::string& tier, sla_kind sla, time_point at);

  /// The counts of the window ending at `now`, per tier (by name).
  std::map<std::string, kpi_summary> by_tier(time_point now);

  duration window() const { return window_; }

private:
  struct slice {
    std::int64_t index = 0;  ///< Time since epoch in slice lengths.
    kpi_summary counts;
    /// Endings counted in this slice that a reopen undid since: taken off its counts.
    kpi_summary undone;
  };

  /// The counts of the slice `at` falls in.
  kpi_summary& current(const std::string& tier, time_point at);
  void evict(std::deque<slice>& slices, time_point now) const;

  duration window_;
  duration slice_;
  time_point started_;
  std::map<std::string, std::deque<slice>> tiers_;
};

}  // namespace blendroute
