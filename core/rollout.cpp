// The rollout controller: cohorts by a stable hash, QA gates per window, pause on a drop.
#include "core/rollout.hpp"

#include <algorithm>
#include <cstdio>

namespace blendroute {
namespace {

std::optional<double> ratio(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) {
    return std::nullopt;
  }
  return static_cast<double>(part) / static_cast<double>(whole);
}

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value * 100);
  return text;
}

std::string score(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}

/// "containment 41.0% < 50.0%" when `value` misses `threshold` in the direction given.
std::string missed(std::string_view what, std::optional<double> value,
                   std::optional<double> threshold, bool at_least,
                   std::string (*format)(double) = percent) {
  if (!threshold) {
    return {};
  }
  if (!value) {
    return std::string(what) + " unknown (nothing to measure)";
  }
  const bool ok = at_least ? *value >= *threshold : *value <= *threshold;
  if (ok) {
    return {};
  }
  return std::string(what) + " " + format(*value) + (at_least ? " < " : " > ") + format(*threshold);
}

}  // namespace

std::string_view name(cohort c) {
  return c == cohort::blended ? "blended" : "control";
}

std::string_view name(rollout_event::kind k) {
  switch (k) {
    case rollout_event::kind::advanced:
      return "advanced";
    case rollout_event::kind::held:
      return "held";
    case rollout_event::kind::paused:
      return "paused";
    case rollout_event::kind::resumed:
      return "resumed";
    case rollout_event::kind::stage_set:
      return "stage_set";
    case rollout_event::kind::nothing:
      return "nothing";
  }
  return "nothing";
}

double cohort_position(std::string_view customer) {
  // FNV-1a, then a finaliser so that ids differing in the last character spread evenly;
  // fixed here, so that a customer keeps its cohort across restarts and versions.
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : customer) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return static_cast<double>(hash >> 11) / static_cast<double>(1ULL << 53);
}

std::optional<double> rollout_window::containment() const {
  return ratio(contained, finished);
}

std::optional<double> rollout_window::escalation_rate() const {
  return ratio(escalated, finished);
}

std::optional<double> rollout_window::first_contact_resolution() const {
  return ratio(std::min(first_contact_resolved, resolved), resolved);
}

std::optional<double> rollout_window::csat() const {
  if (csat_count == 0) {
    return std::nullopt;
  }
  return static_cast<double>(csat_sum) / static_cast<double>(csat_count);
}

std::optional<double> rollout_window::human_response_attainment() const {
  return ratio(human_response_applied - human_response_breached, human_response_applied);
}

rollout_controller::rollout_controller(rollout_config cfg, time_point window_start)
    : cfg_(std::move(cfg)) {
  current_.started_at = window_start;
  if (cfg_.stages.empty()) {
    cfg_.stages.push_back({"full", 1.0, {}});
  }
}

cohort rollout_controller::cohort_for(std::string_view customer) const {
  if (!cfg_.enabled) {
    return cohort::blended;
  }
  return cohort_position(customer) < stage().share ? cohort::blended : cohort::control;
}

void rollout_controller::record_finished(std::string_view conv, const conversation_outcome& outcome,
                                         std::string_view intent) {
  ended_in_current_.insert(std::hash<std::string_view>{}(conv));
  ++current_.finished;
  current_.contained += outcome.resolved && !outcome.escalated ? 1 : 0;
  current_.resolved += outcome.resolved ? 1 : 0;
  current_.first_contact_resolved += outcome.resolved && outcome.first_contact ? 1 : 0;
  if (outcome.escalated) {
    ++current_.escalated;
    ++current_.escalated_intents[intent.empty() ? std::string("(none)") : std::string(intent)];
  }
}

void rollout_controller::record_reopened(std::string_view conv, const conversation_outcome& undone,
                                         std::string_view intent) {
  ++current_.reopened;
  if (ended_in_current_.erase(std::hash<std::string_view>{}(conv)) == 0) {
    return;  // Counted in a window already judged (or before this process started).
  }
  if (undone.escalated) {
    const auto counted =
        current_.escalated_intents.find(intent.empty() ? std::string_view("(none)") : intent);
    if (counted != current_.escalated_intents.end() && --counted->second == 0) {
      current_.escalated_intents.erase(counted);
    }
  }
  const auto less = [](std::uint64_t& count, bool taken) {
    count -= taken && count > 0 ? 1 : 0;
  };
  less(current_.finished, true);
  less(current_.contained, undone.resolved && !undone.escalated);
  less(current_.escalated, undone.escalated);
  less(current_.resolved, undone.resolved);
  less(current_.first_contact_resolved, undone.resolved && undone.first_contact);
}

void rollout_controller::record_csat(int score) {
  ++current_.csat_count;
  current_.csat_sum += static_cast<std::uint64_t>(std::max(0, score));
}

void rollout_controller::record_human_response(bool breached) {
  ++current_.human_response_applied;
  current_.human_response_breached += breached ? 1 : 0;
}

void rollout_controller::record_human_response_breach() {
  if (current_.human_response_breached < current_.human_response_applied) {
    ++current_.human_response_breached;
  }
}

std::string rollout_controller::gate_failure(const qa_gate& gate,
                                             const rollout_window& window) const {
  if (window.finished < gate.min_conversations) {
    return "only " + std::to_string(window.finished) + " of "
           + std::to_string(gate.min_conversations) + " conversations finished";
  }
  for (const std::string& failure :
       {missed("containment", window.containment(), gate.min_containment, true),
        missed("escalation rate", window.escalation_rate(), gate.max_escalation_rate, false),
        missed("first-contact resolution", window.first_contact_resolution(),
               gate.min_first_contact_resolution, true),
        missed("csat", window.csat(), gate.min_csat, true, score),
        missed("human_response attainment", window.human_response_attainment(),
               gate.min_human_response_attainment, true)}) {
    if (!failure.empty()) {
      return failure;
    }
  }
  return {};
}

rollout_event rollout_controller::close_window(time_point next_window_start) {
  rollout_window closed = std::move(current_);
  current_ = {};
  ended_in_current_.clear();
  current_.started_at = next_window_start;
  rollout_event event;
  event.stage = stage().name;

  // Window over window: a drop in containment pauses scaling, whatever the gate says.
  const auto now_containment = closed.containment();
  if (previous_ && now_containment && closed.finished >= cfg_.min_conversations_to_compare
      && previous_->finished >= cfg_.min_conversations_to_compare) {
    const auto before = previous_->containment();
    if (before && *before > 0 && *now_containment < *before * (1.0 - cfg_.max_containment_drop)) {
      std::vector<std::pair<std::string, std::uint64_t>> intents(closed.escalated_intents.begin(),
                                                                 closed.escalated_intents.end());
      std::sort(intents.begin(), intents.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      intents.resize(std::min<std::size_t>(3, intents.size()));
      paused_ = true;
      pause_reason_ =
          "containment fell from " + percent(*before) + " to " + percent(*now_containment);
      event.what = rollout_event::kind::paused;
      event.reason = pause_reason_;
      event.top_escalated_intents = std::move(intents);
      previous_ = std::move(closed);
      return event;
    }
  }

  if (paused_) {
    event.what = rollout_event::kind::held;
    event.reason = "paused: " + pause_reason_;
  } else if (stage_ + 1 >= cfg_.stages.size()) {
    event.what = rollout_event::kind::nothing;
    event.reason = "last stage";
  } else if (std::string failure = gate_failure(stage().gate, closed); !failure.empty()) {
    event.what = rollout_event::kind::held;
    event.reason = "gate of " + stage().name + ": " + failure;
  } else {
    ++stage_;
    event.what = rollout_event::kind::advanced;
    event.stage = stage().name;
    event.reason = "gate of " + cfg_.stages[stage_ - 1].name + " passed";
  }
  previous_ = std::move(closed);
  return event;
}

rollout_event rollout_controller::pause(const std::string& why) {
  paused_ = true;
  pause_reason_ = why;
  return {rollout_event::kind::paused, stage().name, why, {}};
}

rollout_event rollout_controller::resume(const std::string& why) {
  paused_ = false;
  pause_reason_.clear();
  return {rollout_event::kind::resumed, stage().name, why, {}};
}

std::optional<rollout_event> rollout_controller::set_stage(const std::string& stage,
                                                           const std::string& why) {
  for (std::size_t i = 0; i < cfg_.stages.size(); ++i) {
    if (cfg_.stages[i].name == stage) {
      stage_ = i;
      return rollout_event{rollout_event::kind::stage_set, stage, why, {}};
    }
  }
  return std::nullopt;
}

void rollout_controller::restore(const std::string& stage, bool paused,
                                 const std::string& pause_reason) {
  for (std::size_t i = 0; i < cfg_.stages.size(); ++i) {
    if (cfg_.stages[i].name == stage) {
      stage_ = i;
    }
  }
  paused_ = paused;
  pause_reason_ = paused ? pause_reason : std::string();
}

void rollout_controller::reconfigure(rollout_config cfg) {
  const std::string current = stage().name;
  cfg_ = std::move(cfg);
  if (cfg_.stages.empty()) {
    cfg_.stages.push_back({"full", 1.0, {}});
  }
  stage_ = 0;
  for (std::size_t i = 0; i < cfg_.stages.size(); ++i) {
    if (cfg_.stages[i].name == current) {
      stage_ = i;
    }
  }
}

}  // namespace blendroute
