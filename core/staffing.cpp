// Erlang C staffing, computed through the Erlang B recurrence, which stays finite for
// thousands of servers where factorials and powers would overflow.
#include "core/staffing.hpp"

#include <cmath>

namespace blendroute {
namespace {

/// No contact center staffs a single queue with more; a search beyond it means the input
/// is not what the operator meant.
constexpr int max_agents = 100'000;

}  // namespace

double erlang_c(int servers, double traffic) {
  if (servers <= 0 || traffic >= servers) {
    return 1.0;
  }
  if (traffic <= 0) {
    return 0.0;
  }
  double blocking = 1.0;  // Erlang B with 0 servers.
  for (int n = 1; n <= servers; ++n) {
    blocking = traffic * blocking / (n + traffic * blocking);
  }
  const double n = servers;
  return n * blocking / (n - traffic * (1.0 - blocking));
}

staffing_outcome staffing_with(const staffing_input& input, int agents) {
  staffing_outcome out;
  out.agents = agents;
  out.scheduled = static_cast<int>(std::ceil(agents / (1.0 - input.shrinkage) - 1e-9));
  const double traffic = input.arrivals_per_hour / 3600.0 * input.handle_seconds;
  const int servers = agents * input.concurrency;
  out.wait_probability = erlang_c(servers, traffic);
  out.occupancy = servers > 0 ? std::min(1.0, traffic / servers) : 1.0;
  if (servers <= traffic) {
    out.service_level = 0;
    out.average_wait_seconds = INFINITY;
    return out;
  }
  const double spare = servers - traffic;
  out.service_level = 1.0
                      - out.wait_probability
                            * std::exp(-spare * input.answer_within_seconds / input.handle_seconds);
  out.average_wait_seconds = out.wait_probability * input.handle_seconds / spare;
  return out;
}

result<staffing_plan> plan_staffing(const staffing_input& input) {
  if (!(input.arrivals_per_hour > 0) || !std::isfinite(input.arrivals_per_hour)) {
    return error{errc::bad_value, "arrivals per hour must be a positive number"};
  }
  if (!(input.handle_seconds > 0) || !std::isfinite(input.handle_seconds)) {
    return error{errc::bad_value, "handle time must be longer than 0 s"};
  }
  if (input.concurrency < 1) {
    return error{errc::bad_value, "concurrency must be at least 1"};
  }
  if (!(input.answer_within_seconds >= 0) || !std::isfinite(input.answer_within_seconds)) {
    return error{errc::bad_value, "the answer target must not be negative"};
  }
  if (!(input.service_level > 0 && input.service_level < 1)) {
    return error{errc::bad_value, "service level must be between 0 and 1 (exclusive)"};
  }
  if (!(input.shrinkage >= 0 && input.shrinkage < 1)) {
    return error{errc::bad_value, "shrinkage must be at least 0 and below 1"};
  }

  staffing_plan plan;
  plan.traffic_erlangs = input.arrivals_per_hour / 3600.0 * input.handle_seconds;
  // The first count that keeps up, then up until the service level is met.
  int agents =
      std::max(1, static_cast<int>(std::floor(plan.traffic_erlangs / input.concurrency)) + 1);
  for (;; ++agents) {
    if (agents > max_agents) {
      return error{errc::bad_value, "more than 100000 agents would be needed: check the figures"};
    }
    if (staffing_with(input, agents).service_level >= input.service_level) {
      break;
    }
  }
  plan.recommended = staffing_with(input, agents);
  for (int n = std::max(1, agents - 1); n <= agents + 3; ++n) {
    plan.around.push_back(staffing_with(input, n));
  }
  return plan;
}

}  // namespace blendroute
