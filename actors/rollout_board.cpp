// Rollout decisions: counted under a lock, announced in the log and the journal.
#include "actors/rollout_board.hpp"

#include <caf/all.hpp>
#include <simdjson.h>

#include "actors/type_ids.hpp"
#include "core/json_writer.hpp"

namespace blendroute::actors {
namespace {

constexpr std::string_view component = "actors.rollout";
constexpr const char* subject = "rollout";

void write_window(json_writer& json, std::string_view key, const rollout_window& w) {
  auto ratio = [&](std::string_view name, std::optional<double> value) {
    if (value) {
      json.field(name, *value);
    } else {
      json.raw_field(name, "null");
    }
  };
  json.begin_object(key)
      .field("finished", static_cast<std::int64_t>(w.finished))
      .field("contained", static_cast<std::int64_t>(w.contained))
      .field("escalated", static_cast<std::int64_t>(w.escalated));
  ratio("containment", w.containment());
  ratio("escalation_rate", w.escalation_rate());
  ratio("first_contact_resolution", w.first_contact_resolution());
  ratio("csat", w.csat());
  ratio("human_response_attainment", w.human_response_attainment());
  json.end_object();
}

void write_intents(json_writer& json,
                   const std::vector<std::pair<std::string, std::uint64_t>>& intents) {
  json.begin_array("top_escalated_intents");
  for (const auto& [intent, count] : intents) {
    json.begin_object()
        .field("intent", intent)
        .field("escalations", static_cast<std::int64_t>(count))
        .end_object();
  }
  json.end_array();
}

}  // namespace

rollout_board::rollout_board(rollout_config cfg, persist::journal* journal, log_sink* log,
                             std::function<time_point()> clock)
    : controller_(std::move(cfg), clock()),
      journal_(journal),
      log_(log),
      clock_(std::move(clock)) {}

void rollout_board::restore() {
  if (journal_ == nullptr) {
    return;
  }
  auto state = journal_->control_state(subject);
  if (!state || !state->has_value()) {
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view stage;
  bool paused = false;
  std::string_view reason;
  if (parser.parse(**state).get(doc) != simdjson::SUCCESS
      || doc["stage"].get(stage) != simdjson::SUCCESS
      || doc["paused"].get(paused) != simdjson::SUCCESS) {
    return;  // A state this version cannot read: start from the configured first stage.
  }
  if (doc["pause_reason"].get(reason) != simdjson::SUCCESS) {
    reason = {};
  }
  std::lock_guard<std::mutex> lock(mutex_);
  controller_.restore(std::string(stage), paused, std::string(reason));
  if (log_ != nullptr && log_->enabled(log_level::info)) {
    log_->write(log_level::info, component,
                "rollout_restored stage=" + controller_.stage().name
                    + " paused=" + (controller_.paused() ? "true" : "false"));
  }
}

cohort rollout_board::cohort_for(std::string_view customer) {
  std::lock_guard<std::mutex> lock(mutex_);
  return controller_.cohort_for(customer);
}

void rollout_board::close_window() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!controller_.config().enabled) {
    return;
  }
  const rollout_event event = controller_.close_window(clock_());
  announce(event, "gate");
}

result<std::string> rollout_board::pause(const std::string& by, const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  announce(controller_.pause(why.empty() ? "paused by " + by : why), by);
  return status_locked();
}

result<std::string> rollout_board::resume(const std::string& by) {
  std::lock_guard<std::mutex> lock(mutex_);
  announce(controller_.resume("resumed by " + by), by);
  return status_locked();
}

result<std::string> rollout_board::set_stage(const std::string& stage, const std::string& by) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto event = controller_.set_stage(stage, "set by " + by);
  if (!event) {
    return error{errc::bad_value, "no rollout stage \"" + stage + "\""};
  }
  announce(*event, by);
  return status_locked();
}

std::string rollout_board::status() {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_locked();
}

void rollout_board::reconfigure(const rollout_config& cfg) {
  std::lock_guard<std::mutex> lock(mutex_);
  controller_.reconfigure(cfg);
}

duration rollout_board::window() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return controller_.config().window;
}

void rollout_board::announce(const rollout_event& event, const std::string& by) {
  last_event_ = event;
  if (event.what == rollout_event::kind::nothing) {
    return;
  }
  const time_point now = clock_();
  std::string intents;
  for (const auto& [intent, count] : event.top_escalated_intents) {
    intents += (intents.empty() ? "" : ",") + intent + ":" + std::to_string(count);
  }
  if (log_ != nullptr) {
    // A pause wants an operator; a window that only held does not.
    const log_level level =
        event.what == rollout_event::kind::paused ? log_level::warn : log_level::info;
    if (log_->enabled(level)) {
      log_->write(level, component,
                  "rollout_" + std::string(name(event.what)) + " stage=" + event.stage + " by=" + by
                      + " reason=\"" + event.reason + "\""
                      + (intents.empty() ? "" : " top_escalated_intents=" + intents));
    }
  }
  if (journal_ == nullptr) {
    return;
  }
  std::string payload;
  json_writer json(payload);
  json.begin_object()
      .field("at", unix_ms(now))
      .field("event", name(event.what))
      .field("by", by)
      .field("stage", controller_.stage().name)
      .field("share", controller_.stage().share)
      .field("paused", controller_.paused())
      .field("pause_reason", controller_.pause_reason())
      .field("reason", event.reason);
  write_intents(json, event.top_escalated_intents);
  json.end_object();
  journal_->record_control(subject, std::move(payload), [log = log_](const result<void>& r) {
    if (!r && log != nullptr && log->enabled(log_level::warn)) {
      log->write(log_level::warn, component,
                 "rollout_journal_failed error=\"" + r.err().message + "\"");
    }
  });
}

std::string rollout_board::status_locked() const {
  const rollout_config& cfg = controller_.config();
  std::string out;
  json_writer json(out);
  json.begin_object()
      .field("enabled", cfg.enabled)
      .field("stage", controller_.stage().name)
      .field("share", controller_.stage().share)
      .field("paused", controller_.paused())
      .field("pause_reason", controller_.pause_reason())
      .field("window_s", static_cast<std::int64_t>(cfg.window.count() / 1000))
      .field("window_started_at", unix_ms(controller_.current_window().started_at));
  json.begin_array("stages");
  for (const auto& stage : cfg.stages) {
    json.begin_object().field("name", stage.name).field("share", stage.share).end_object();
  }
  json.end_array();
  write_window(json, "current_window", controller_.current_window());
  if (const auto& previous = controller_.previous_window()) {
    write_window(json, "previous_window", *previous);
  } else {
    json.raw_field("previous_window", "null");
  }
  if (last_event_) {
    json.begin_object("last_decision")
        .field("event", name(last_event_->what))
        .field("stage", last_event_->stage)
        .field("reason", last_event_->reason);
    write_intents(json, last_event_->top_escalated_intents);
    json.end_object();
  } else {
    json.raw_field("last_decision", "null");
  }
  json.end_object();
  out.push_back('\n');
  return out;
}

namespace {

/// Closes the rollout's window every `board->window()`. A function with an argument rather
/// than a capturing lambda: CAF 0.17 binds a reference through a null pointer for actors
/// spawned without arguments (UBSan reports it).
caf::behavior rollout_actor(caf::event_based_actor* self, rollout_board* board) {
  self->delayed_send(self, std::chrono::milliseconds{board->window().count()}, sweep_atom_v);
  return {
      [self, board](sweep_atom) {
        board->close_window();
        self->delayed_send(self, std::chrono::milliseconds{board->window().count()}, sweep_atom_v);
      },
  };
}

}  // namespace

caf::actor spawn_rollout_actor(caf::actor_system& system, rollout_board* board) {
  return system.spawn(rollout_actor, board);
}

}  // namespace blendroute::actors
