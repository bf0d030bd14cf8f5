// Erlang C staffing: the agents a tier needs to answer escalations within its target.
#pragma once

#include <vector>

#include "core/error.hpp"

namespace blendroute {

/// The workload of one tier's human queue and what it must achieve.
struct staffing_input {
  double arrivals_per_hour = 0;  ///< Escalations reaching the agents. > 0.
  double handle_seconds = 0;     ///< Average handle time of one conversation. > 0.
  /// Conversations an agent carries at once (chat): each agent counts as this many
  /// servers, each taking a conversation for the whole handle time. ≥ 1.
  int concurrency = 1;
  double answer_within_seconds = 60;  ///< The human-response target. ≥ 0.
  double service_level = 0.8;         ///< Share to answer within the target. In (0, 1).
  /// Share of scheduled time agents are not on conversations (breaks, training). In [0, 1).
  double shrinkage = 0;
};

/// What a number of agents achieves under a staffing_input.
struct staffing_outcome {
  int agents = 0;               ///< On conversations at once.
  int scheduled = 0;            ///< agents / (1 − shrinkage), rounded up.
  double wait_probability = 0;  ///< Erlang C: the share that waits at all.
  double service_level = 0;     ///< The share answered within the target.
  double average_wait_seconds = 0;
  double occupancy = 0;  ///< The share of agents' capacity in use.
};

/// The recommendation and the outcomes around it, for people to weigh.
struct staffing_plan {
  double traffic_erlangs = 0;            ///< Arrivals per second × handle time.
  staffing_outcome recommended;          ///< The fewest agents that meet the service level.
  std::vector<staffing_outcome> around;  ///< One fewer, the recommendation, and three more.
};

/// Erlang C: the probability that an arrival waits, with `servers` servers and `traffic`
/// erlangs offered; 1 when the servers cannot keep up (servers ≤ traffic).
double erlang_c(int servers, double traffic);

/// The outcome of `agents` agents under `input`.
staffing_outcome staffing_with(const staffing_input& input, int agents);

/// The fewest agents meeting `input.service_level` within `input.answer_within_seconds`.
/// An input out of range is a bad_value error naming the figure.
result<staffing_plan> plan_staffing(const staffing_input& input);

}  // namespace blendroute
