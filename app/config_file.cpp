// TOML parsing with toml++: schema walk for unknown keys, typed reads, overrides.
#include "app/config_file.hpp"

#include <array>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "app/time_zone.hpp"

#include <toml++/toml.h>

namespace blendroute::app {
namespace {

/// Collects problems while a TOML document is turned into a config.
class reader {
public:
  explicit reader(std::vector<config_problem>& problems) : problems_(problems) {}

  void problem(const toml::node* node, std::string key, std::string message) {
    const int line = node != nullptr ? static_cast<int>(node->source().begin.line) : 0;
    problems_.push_back({std::move(key), line, std::move(message)});
  }

  /// Reports every key of `table` that is not in `known`.
  void only(const toml::table& table, const std::string& prefix,
            std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      bool found = false;
      for (auto k : known) {
        found = found || k == key.str();
      }
      if (!found) {
        problem(&node, prefix + std::string(key.str()), "unknown key");
      }
    }
  }

  void read(const toml::table& table, const std::string& prefix, std::string_view key,
            std::string& out) {
    if (const toml::node* node = table.get(key)) {
      if (auto value = node->value<std::string>()) {
        out = *value;
      } else {
        problem(node, prefix + std::string(key), "must be a string");
      }
    }
  }

  void read_bool(const toml::table& table, const std::string& prefix, std::string_view key,
                 bool& out) {
    if (const toml::node* node = table.get(key)) {
      if (auto value = node->value<bool>()) {
        out = *value;
      } else {
        problem(node, prefix + std::string(key), "must be true or false");
      }
    }
  }

  /// A number (integer or float) into `out`.
  void read_number(const toml::table& table, const std::string& prefix, std::string_view key,
                   double& out) {
    if (const toml::node* node = table.get(key)) {
      if (auto value = node->value<double>()) {
        out = *value;
      } else {
        problem(node, prefix + std::string(key), "must be a number");
      }
    }
  }

  void read_number(const toml::table& table, const std::string& prefix, std::string_view key,
                   std::optional<double>& out) {
    if (table.get(key) != nullptr) {
      double value = 0;
      read_number(table, prefix, key, value);
      out = value;
    }
  }

  template <class Int>
  void read_int(const toml::table& table, const std::string& prefix, std::string_view key,
                Int& out) {
    if (const toml::node* node = table.get(key)) {
      if (node->is_integer()) {
        const std::int64_t value = *node->value<std::int64_t>();
        if (value < static_cast<std::int64_t>(std::numeric_limits<Int>::min())
            || (value > 0 && static_cast<std::uint64_t>(value) > std::numeric_limits<Int>::max())) {
          problem(node, prefix + std::string(key), "is out of range");
          return;
        }
        out = static_cast<Int>(value);
      } else {
        problem(node, prefix + std::string(key), "must be an integer");
      }
    }
  }

  void read_duration(const toml::table& table, const std::string& prefix, std::string_view key,
                     duration& out) {
    if (const toml::node* node = table.get(key)) {
      auto text = node->value<std::string>();
      if (!text) {
        problem(node, prefix + std::string(key), "must be a duration string such as \"5s\"");
        return;
      }
      auto parsed = parse_duration(*text);
      if (!parsed) {
        problem(node, prefix + std::string(key), parsed.err().message);
        return;
      }
      out = *parsed;
    }
  }

  /// Reads an array of strings; `key` names it in problems.
  void read_strings(const toml::node& node, const std::string& key, std::vector<std::string>& out) {
    const toml::array* list = node.as_array();
    if (list == nullptr) {
      problem(&node, key, "must be an array of strings");
      return;
    }
    for (const auto& item : *list) {
      if (auto text = item.value<std::string>()) {
        out.push_back(*text);
      } else {
        problem(&item, key, "must be an array of strings");
      }
    }
  }

  const toml::table* section(const toml::table& root, std::string_view key) {
    const toml::node* node = root.get(key);
    if (node == nullptr) {
      return nullptr;
    }
    if (!node->is_table()) {
      problem(node, std::string(key), "must be a table");
      return nullptr;
    }
    return node->as_table();
  }

private:
  std::vector<config_problem>& problems_;
};

/// `[tiers.<name>.hours]`: a time zone, opening windows per weekday, holidays, off-hours path.
void read_hours(reader& r, const toml::node* node, const std::string& prefix, tier_policy& tier) {
  static constexpr std::array<std::string_view, 7> weekdays = {
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    r.problem(node, prefix.substr(0, prefix.size() - 1), "must be a table");
    return;
  }
  r.only(*table, prefix,
         {"time_zone", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
          "holidays", "off_hours", "off_hours_text"});

  business_calendar calendar;
  r.read(*table, prefix, "time_zone", calendar.time_zone);
  if (calendar.time_zone.empty()) {
    r.problem(node, prefix + "time_zone", "is required");
  } else {
    auto zone = load_time_zone(calendar.time_zone);
    if (zone) {
      calendar.zone = *zone;
    } else {
      r.problem(table->get("time_zone"), prefix + "time_zone", zone.err().message);
    }
  }

  for (std::size_t day = 0; day < weekdays.size(); ++day) {
    const toml::node* hours = table->get(weekdays[day]);
    if (hours == nullptr) {
      continue;
    }
    std::vector<std::string> spans;
    if (auto single = hours->value<std::string>()) {
      spans.push_back(*single);
    } else if (const toml::array* list = hours->as_array()) {
      for (const auto& item : *list) {
        spans.push_back(item.value<std::string>().value_or(""));
      }
    }
    for (const auto& span : spans) {
      opening_window window{static_cast<int>(day), 0, 0};
      if (!parse_opening(span, window.open_minute, window.close_minute)) {
        r.problem(hours, prefix + std::string(weekdays[day]),
                  "expected \"HH:MM-HH:MM\" (or a list of them), got \"" + span + "\"");
        continue;
      }
      calendar.weekly.push_back(window);
    }
  }
  if (calendar.weekly.empty()) {
    r.problem(node, prefix.substr(0, prefix.size() - 1), "opens on no day of the week");
  }

  if (const toml::array* holidays = table->get_as<toml::array>("holidays")) {
    for (const auto& item : *holidays) {
      std::int64_t day = 0;
      if (!parse_local_date(item.value<std::string>().value_or(""), day)) {
        r.problem(&item, prefix + "holidays", "dates are \"YYYY-MM-DD\"");
        continue;
      }
      calendar.holidays.push_back(day);
    }
  }

  std::string path = "bot";
  r.read(*table, prefix, "off_hours", path);
  if (path == "bot") {
    calendar.off_hours = off_hours_path::bot;
  } else if (path == "queue") {
    calendar.off_hours = off_hours_path::queue;
  } else {
    r.problem(table->get("off_hours"), prefix + "off_hours", "must be bot or queue");
  }
  r.read(*table, prefix, "off_hours_text", calendar.off_hours_text);
  tier.hours = std::move(calendar);
}

void read_tier(reader& r, const toml::table& table, const std::string& tier_name, config& cfg) {
  const std::string prefix = "tiers." + tier_name + ".";
  const config defaults = default_config();
  tier_policy tier;
  if (const tier_policy* builtin = defaults.find_tier(tier_name)) {
    tier = *builtin;
  } else {
    tier = defaults.tiers.front();
    tier.name = tier_name;
  }
  r.only(
      table, prefix,
      {"priority", "bot_attempt", "bot_max_turns", "human_response", "offer_accept",
       "resume_window", "idle_warning", "idle_close", "idle_warning_text", "return_to_agent",
       "max_queue", "queue_full", "queue_full_target", "queue_full_text", "hours", "escalation"});
  r.read_int(table, prefix, "priority", tier.priority);
  r.read_duration(table, prefix, "bot_attempt", tier.bot_attempt);
  r.read_int(table, prefix, "bot_max_turns", tier.bot_max_turns);
  r.read_duration(table, prefix, "human_response", tier.human_response);
  r.read_duration(table, prefix, "offer_accept", tier.offer_accept);
  r.read_duration(table, prefix, "resume_window", tier.resume_window);
  r.read_duration(table, prefix, "idle_warning", tier.idle_warning);
  r.read_duration(table, prefix, "idle_close", tier.idle_close);
  r.read(table, prefix, "idle_warning_text", tier.idle_warning_text);
  r.read_duration(table, prefix, "return_to_agent", tier.return_to_agent);
  r.read_int(table, prefix, "max_queue", tier.max_queue);
  r.read(table, prefix, "queue_full_target", tier.queue_full_target);
  r.read(table, prefix, "queue_full_text", tier.queue_full_text);
  std::string when_full = tier.when_queue_full == queue_full_action::bot ? "bot" : "overflow";
  r.read(table, prefix, "queue_full", when_full);
  if (when_full == "bot") {
    tier.when_queue_full = queue_full_action::bot;
  } else if (when_full == "overflow") {
    tier.when_queue_full = queue_full_action::overflow;
  } else {
    r.problem(table.get("queue_full"), prefix + "queue_full", "must be bot or overflow");
  }

  if (const toml::node* node = table.get("hours")) {
    read_hours(r, node, prefix + "hours.", tier);
  }

  if (const toml::node* node = table.get("escalation"); node == nullptr) {
    // The built-in matrix times its steps from this tier's own human-response SLA, not from
    // the tier it was copied from.
    tier.escalation = builtin_escalation(tier.human_response);
  } else {
    const toml::array* steps = node->as_array();
    if (steps == nullptr) {
      r.problem(node, prefix + "escalation", "must be an array of tables");
    } else {
      tier.escalation.clear();
      for (const auto& step_node : *steps) {
        const toml::table* step_table = step_node.as_table();
        if (step_table == nullptr) {
          r.problem(&step_node, prefix + "escalation", "each step must be a table");
          continue;
        }
        const std::string step_prefix = prefix + "escalation.";
        r.only(*step_table, step_prefix, {"sla", "after", "action", "target"});
        escalation_step step;
        std::string sla_text, action_text;
        r.read(*step_table, step_prefix, "sla", sla_text);
        r.read(*step_table, step_prefix, "action", action_text);
        r.read_duration(*step_table, step_prefix, "after", step.after);
        r.read(*step_table, step_prefix, "target", step.target);
        auto sla = parse_sla_kind(sla_text);
        auto action = parse_escalation_action(action_text);
        if (!sla) {
          r.problem(&step_node, step_prefix + "sla", "unknown SLA \"" + sla_text + "\"");
          continue;
        }
        if (!action) {
          r.problem(&step_node, step_prefix + "action", "unknown action \"" + action_text + "\"");
          continue;
        }
        step.sla = *sla;
        step.action = *action;
        tier.escalation.push_back(std::move(step));
      }
    }
  }
  cfg.tiers.push_back(std::move(tier));
}

void read_rollout(reader& r, const toml::table& table, rollout_config& out) {
  r.only(table, "rollout.",
         {"enabled", "window", "max_containment_drop", "min_conversations_to_compare", "stage"});
  r.read_bool(table, "rollout.", "enabled", out.enabled);
  r.read_duration(table, "rollout.", "window", out.window);
  r.read_number(table, "rollout.", "max_containment_drop", out.max_containment_drop);
  r.read_int(table, "rollout.", "min_conversations_to_compare", out.min_conversations_to_compare);
  const toml::node* stages = table.get("stage");
  if (stages == nullptr) {
    return;
  }
  const toml::array* list = stages->as_array();
  if (list == nullptr) {
    r.problem(stages, "rollout.stage", "must be an array of tables ([[rollout.stage]])");
    return;
  }
  for (const auto& node : *list) {
    const toml::table* stage_table = node.as_table();
    if (stage_table == nullptr) {
      r.problem(&node, "rollout.stage", "each stage must be a table");
      continue;
    }
    const std::string prefix = "rollout.stage.";
    r.only(*stage_table, prefix,
           {"name", "share", "min_conversations", "min_containment", "max_escalation_rate",
            "min_first_contact_resolution", "min_csat", "min_human_response_attainment"});
    rollout_stage stage;
    r.read(*stage_table, prefix, "name", stage.name);
    r.read_number(*stage_table, prefix, "share", stage.share);
    r.read_int(*stage_table, prefix, "min_conversations", stage.gate.min_conversations);
    r.read_number(*stage_table, prefix, "min_containment", stage.gate.min_containment);
    r.read_number(*stage_table, prefix, "max_escalation_rate", stage.gate.max_escalation_rate);
    r.read_number(*stage_table, prefix, "min_first_contact_resolution",
                  stage.gate.min_first_contact_resolution);
    r.read_number(*stage_table, prefix, "min_csat", stage.gate.min_csat);
    r.read_number(*stage_table, prefix, "min_human_response_attainment",
                  stage.gate.min_human_response_attainment);
    out.stages.push_back(std::move(stage));
  }
}

void read_document(reader& r, const toml::table& root, config& cfg) {
  r.only(root, "",
         {"listen", "auth", "journal", "runtime", "bot", "kpis", "routing", "tiers", "rollout"});

  if (const auto* listen = r.section(root, "listen")) {
    r.only(*listen, "listen.",
           {"host", "tcp_port", "max_frame_bytes", "io_threads", "hello_timeout", "http_port",
            "max_body_bytes", "max_header_bytes", "max_connections", "max_send_queue_bytes",
            "idle_timeout", "request_timeout", "tcp_tls", "http_tls", "tls_certificate",
            "tls_private_key"});
    r.read_bool(*listen, "listen.", "tcp_tls", cfg.listener.tcp_tls);
    r.read_bool(*listen, "listen.", "http_tls", cfg.listener.http_tls);
    r.read(*listen, "listen.", "tls_certificate", cfg.listener.tls_certificate);
    r.read(*listen, "listen.", "tls_private_key", cfg.listener.tls_private_key);
    r.read_int(*listen, "listen.", "max_connections", cfg.listener.max_connections);
    r.read_int(*listen, "listen.", "max_send_queue_bytes", cfg.listener.max_send_queue_bytes);
    r.read_duration(*listen, "listen.", "idle_timeout", cfg.listener.idle_timeout);
    r.read_duration(*listen, "listen.", "request_timeout", cfg.listener.request_timeout);
    r.read_int(*listen, "listen.", "max_body_bytes", cfg.listener.max_body_bytes);
    r.read_int(*listen, "listen.", "max_header_bytes", cfg.listener.max_header_bytes);
    r.read_int(*listen, "listen.", "http_port", cfg.listener.http_port);
    r.read_duration(*listen, "listen.", "hello_timeout", cfg.listener.hello_timeout);
    r.read(*listen, "listen.", "host", cfg.listener.host);
    std::int64_t port = cfg.listener.tcp_port;
    r.read_int(*listen, "listen.", "tcp_port", port);
    if (port < 0 || port > 65535) {
      r.problem(listen->get("tcp_port"), "listen.tcp_port", "must be between 0 and 65535");
    } else {
      cfg.listener.tcp_port = static_cast<std::uint16_t>(port);
    }
    r.read_int(*listen, "listen.", "max_frame_bytes", cfg.listener.max_frame_bytes);
    r.read_int(*listen, "listen.", "io_threads", cfg.listener.io_threads);
  }
  if (const auto* auth = r.section(root, "auth")) {
    r.only(*auth, "auth.", {"gateway", "bot", "agent", "supervisor", "admin", "monitoring"});
    r.read(*auth, "auth.", "gateway", cfg.auth.gateway);
    r.read(*auth, "auth.", "bot", cfg.auth.bot);
    r.read(*auth, "auth.", "agent", cfg.auth.agent);
    r.read(*auth, "auth.", "supervisor", cfg.auth.supervisor);
    r.read(*auth, "auth.", "admin", cfg.auth.admin);
    r.read(*auth, "auth.", "monitoring", cfg.auth.monitoring);
  }
  if (const auto* journal = r.section(root, "journal")) {
    r.only(
        *journal, "journal.",
        {"path", "sync", "max_batch_events", "retention", "retention_sweep", "snapshot_records"});
    r.read(*journal, "journal.", "path", cfg.journal.path);
    std::string sync = std::string(name(cfg.journal.sync));
    r.read(*journal, "journal.", "sync", sync);
    if (sync == "none") {
      cfg.journal.sync = sync_mode::none;
    } else if (sync == "batch") {
      cfg.journal.sync = sync_mode::batch;
    } else if (sync == "always") {
      cfg.journal.sync = sync_mode::always;
    } else {
      r.problem(journal->get("sync"), "journal.sync", "must be none, batch or always");
    }
    r.read_int(*journal, "journal.", "max_batch_events", cfg.journal.max_batch_events);
    r.read_duration(*journal, "journal.", "retention", cfg.journal.retention);
    r.read_duration(*journal, "journal.", "retention_sweep", cfg.journal.retention_sweep);
    r.read_int(*journal, "journal.", "snapshot_records", cfg.journal.snapshot_records);
  }
  if (const auto* runtime = r.section(root, "runtime")) {
    r.only(*runtime, "runtime.", {"scheduler_threads", "policy", "max_throughput"});
    r.read_int(*runtime, "runtime.", "scheduler_threads", cfg.runtime.scheduler_threads);
    r.read(*runtime, "runtime.", "policy", cfg.runtime.policy);
    r.read_int(*runtime, "runtime.", "max_throughput", cfg.runtime.max_throughput);
  }
  if (const auto* bot = r.section(root, "bot")) {
    r.only(*bot, "bot.",
           {"rules_file", "transcript_lines", "connector", "webhook_url", "webhook_ca_file",
            "webhook_secret", "webhook_timeout", "webhook_retries", "webhook_max_in_flight",
            "rasa_handoff_key", "rasa_handoff_intent"});
    r.read(*bot, "bot.", "rules_file", cfg.bot.rules_file);
    r.read_int(*bot, "bot.", "transcript_lines", cfg.bot.transcript_lines);
    std::string connector = "embedded";
    r.read(*bot, "bot.", "connector", connector);
    if (connector == "embedded") {
      cfg.bot.connector = bot_connector::embedded;
    } else if (connector == "webhook") {
      cfg.bot.connector = bot_connector::webhook;
    } else if (connector == "rasa") {
      cfg.bot.connector = bot_connector::rasa;
    } else {
      r.problem(bot->get("connector"), "bot.connector", "must be embedded, webhook or rasa");
    }
    r.read(*bot, "bot.", "webhook_url", cfg.bot.webhook_url);
    r.read(*bot, "bot.", "webhook_ca_file", cfg.bot.webhook_ca_file);
    r.read(*bot, "bot.", "webhook_secret", cfg.bot.webhook_secret);
    r.read_duration(*bot, "bot.", "webhook_timeout", cfg.bot.webhook_timeout);
    r.read_int(*bot, "bot.", "webhook_retries", cfg.bot.webhook_retries);
    r.read_int(*bot, "bot.", "webhook_max_in_flight", cfg.bot.webhook_max_in_flight);
    r.read(*bot, "bot.", "rasa_handoff_key", cfg.bot.rasa_handoff_key);
    r.read(*bot, "bot.", "rasa_handoff_intent", cfg.bot.rasa_handoff_intent);
  }
  if (const auto* kpis = r.section(root, "kpis")) {
    r.only(*kpis, "kpis.", {"window"});
    r.read_duration(*kpis, "kpis.", "window", cfg.kpis.window);
  }
  if (const auto* rollout = r.section(root, "rollout")) {
    read_rollout(r, *rollout, cfg.rollout);
  }
  if (const auto* routing = r.section(root, "routing")) {
    r.only(*routing, "routing.",
           {"default_tier", "session_broker", "rule", "intent_skills", "agent_disconnect_grace"});
    r.read(*routing, "routing.", "default_tier", cfg.default_tier);
    r.read_duration(*routing, "routing.", "agent_disconnect_grace", cfg.agent_disconnect_grace);
    if (const toml::node* broker = routing->get("session_broker")) {
      if (auto flag = broker->value<bool>()) {
        cfg.session_broker = *flag;
      } else {
        r.problem(broker, "routing.session_broker", "must be true or false");
      }
    }
    if (const toml::node* rules = routing->get("rule")) {
      if (const toml::array* list = rules->as_array()) {
        for (const auto& rule_node : *list) {
          const toml::table* rule_table = rule_node.as_table();
          if (rule_table == nullptr) {
            r.problem(&rule_node, "routing.rule", "each rule must be a table");
            continue;
          }
          r.only(*rule_table, "routing.rule.", {"attr", "equals", "tier", "skills"});
          routing_rule rule;
          r.read(*rule_table, "routing.rule.", "attr", rule.attr);
          r.read(*rule_table, "routing.rule.", "equals", rule.equals);
          r.read(*rule_table, "routing.rule.", "tier", rule.tier);
          if (const toml::node* skills = rule_table->get("skills")) {
            r.read_strings(*skills, "routing.rule.skills", rule.skills);
          }
          cfg.routing.push_back(std::move(rule));
        }
      } else {
        r.problem(rules, "routing.rule", "must be an array of tables ([[routing.rule]])");
      }
    }
    if (const toml::node* node = routing->get("intent_skills"); node != nullptr) {
      if (const toml::table* intents = node->as_table()) {
        for (const auto& [intent, skills] : *intents) {
          intent_route route;
          route.intent = std::string(intent.str());
          r.read_strings(skills, "routing.intent_skills." + route.intent, route.skills);
          cfg.intent_skills.push_back(std::move(route));
        }
      } else {
        r.problem(node, "routing.intent_skills", "must be a table of intent = [skills]");
      }
    }
  }
  if (const auto* tiers = r.section(root, "tiers")) {
    cfg.tiers.clear();
    for (const auto& [tier_name, node] : *tiers) {
      if (const toml::table* tier_table = node.as_table()) {
        read_tier(r, *tier_table, std::string(tier_name.str()), cfg);
      } else {
        r.problem(&node, "tiers." + std::string(tier_name.str()), "must be a table");
      }
    }
  }
}

/// Sets `dotted_key` in `root` to `text` read as a TOML value (a bare word is a string).
std::optional<std::string> apply_override(toml::table& root, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    return "--set expects key=value, got \"" + assignment + "\"";
  }
  const std::string key = assignment.substr(0, equals);
  const std::string text = assignment.substr(equals + 1);

  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", text}};
  }

  toml::table* table = &root;
  std::size_t start = 0;
  for (;;) {
    const auto dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
    if (dot == std::string::npos) {
      table->insert_or_assign(part, *parsed.get("v"));
      return std::nullopt;
    }
    toml::node* next = table->get(part);
    if (next == nullptr) {
      table->insert_or_assign(part, toml::table{});
      next = table->get(part);
    }
    if (!next->is_table()) {
      return "--set " + key + ": " + part + " is not a table";
    }
    table = next->as_table();
    start = dot + 1;
  }
}

/// Parses the TOML file at `path`; a syntax error names the file and line.
result<toml::table> parse_file(const std::string& path) {
  // toml++ reads a directory as an empty document: every key would silently fall back to its
  // default.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return error{
        errc::config_invalid,
        path + ": " + (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file")};
  }
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    std::ostringstream out;
    out << path << " line " << err.source().begin.line << ": " << err.description();
    return error{errc::config_invalid, out.str()};
  }
}

std::string describe(const std::vector<config_problem>& problems, const std::string& path) {
  std::ostringstream out;
  out << problems.size() << (problems.size() == 1 ? " problem" : " problems") << " in "
      << (path.empty() ? "the built-in configuration" : path) << ":";
  for (const auto& p : problems) {
    out << "\n  " << p.key;
    if (p.line > 0) {
      out << " (line " << p.line << ")";
    }
    out << ": " << p.message;
  }
  return out.str();
}

}  // namespace

result<config> load_config(const std::string& path, const std::vector<std::string>& overrides) {
  toml::table root;
  if (!path.empty()) {
    auto parsed = parse_file(path);
    if (!parsed) {
      return parsed.err();
    }
    root = std::move(*parsed);
  }
  for (const auto& assignment : overrides) {
    if (auto problem = apply_override(root, assignment)) {
      return error{errc::config_invalid, *problem};
    }
  }

  config cfg = default_config();
  std::vector<config_problem> problems;
  reader r(problems);
  read_document(r, root, cfg);
  // Validation runs even after reading problems, so that one pass reports everything; its
  // problems get the line of the key they name when the file sets it.
  for (auto& problem : validate(cfg)) {
    if (const toml::node* node = root.at_path(problem.key).node()) {
      problem.line = static_cast<int>(node->source().begin.line);
    }
    problems.push_back(std::move(problem));
  }
  if (!problems.empty()) {
    return error{errc::config_invalid, describe(problems, path)};
  }
  return cfg;
}

result<faq_bot> load_faq_bot(const std::string& path) {
  auto parsed = parse_file(path);
  if (!parsed) {
    return parsed.err();
  }
  const toml::table& root = *parsed;

  std::vector<config_problem> problems;
  reader r(problems);
  r.only(root, "", {"fallback", "rule"});
  auto read_outcome = [&](const toml::table& table, const std::string& prefix) {
    std::string text = "continue";
    r.read(table, prefix, "outcome", text);
    auto outcome = parse_bot_outcome(text);
    if (!outcome) {
      r.problem(table.get("outcome"), prefix + "outcome", "must be continue, resolved or handoff");
      return bot_outcome::continue_turn;
    }
    return *outcome;
  };

  faq_answer fallback{"", "Could you tell me a bit more about what you need?",
                      bot_outcome::continue_turn, 0};
  if (const auto* table = r.section(root, "fallback")) {
    r.only(*table, "fallback.", {"answer", "outcome"});
    r.read(*table, "fallback.", "answer", fallback.text);
    fallback.outcome = read_outcome(*table, "fallback.");
  }

  std::vector<faq_rule> rules;
  if (const toml::node* node = root.get("rule")) {
    const toml::array* list = node->as_array();
    if (list == nullptr) {
      r.problem(node, "rule", "must be an array of tables ([[rule]])");
    } else {
      for (const auto& rule_node : *list) {
        const toml::table* table = rule_node.as_table();
        if (table == nullptr) {
          r.problem(&rule_node, "rule", "each rule must be a table");
          continue;
        }
        r.only(*table, "rule.", {"intent", "keywords", "answer", "outcome"});
        faq_rule rule;
        r.read(*table, "rule.", "intent", rule.intent);
        r.read(*table, "rule.", "answer", rule.answer);
        rule.outcome = read_outcome(*table, "rule.");
        if (const toml::array* keywords = table->get_as<toml::array>("keywords")) {
          for (const auto& keyword : *keywords) {
            if (auto text = keyword.value<std::string>()) {
              rule.keywords.push_back(*text);
            } else {
              r.problem(&keyword, "rule.keywords", "must be strings");
            }
          }
        }
        if (rule.intent.empty() || rule.keywords.empty()) {
          r.problem(&rule_node, "rule", "a rule needs `intent` and at least one keyword");
          continue;
        }
        rules.push_back(std::move(rule));
      }
    }
  }
  if (!problems.empty()) {
    return error{errc::config_invalid, describe(problems, path)};
  }
  return faq_bot(std::move(rules), std::move(fallback));
}

}  // namespace blendroute::app
