// Defaults and validation of the configuration.
#include "core/config.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace blendroute {
namespace {

constexpr std::array<std::string_view, 4> sla_names = {"bot_attempt", "bot_max_turns",
                                                       "human_response", "offer_accept"};

constexpr std::array<std::string_view, 6> action_names = {"escalate", "reoffer", "overflow",
                                                          "priority", "notify",  "relax"};

tier_policy make_tier(std::string name, int priority, duration bot_attempt, int max_turns,
                      duration human_response, duration offer_accept) {
  tier_policy tier;
  tier.name = std::move(name);
  tier.priority = priority;
  tier.bot_attempt = bot_attempt;
  tier.bot_max_turns = max_turns;
  tier.human_response = human_response;
  tier.offer_accept = offer_accept;
  tier.escalation = builtin_escalation(human_response);
  return tier;
}

void add(std::vector<config_problem>& problems, std::string key, std::string message) {
  problems.push_back({std::move(key), 0, std::move(message)});
}

}  // namespace

std::vector<escalation_step> builtin_escalation(duration human_response) {
  // A slow bot hands over, an unanswered offer moves on, a slow human response tells the
  // supervisors and then jumps the queue.
  return {
      {sla_kind::bot_attempt, duration{0}, escalation_action::escalate, ""},
      {sla_kind::bot_max_turns, duration{0}, escalation_action::escalate, ""},
      {sla_kind::offer_accept, duration{0}, escalation_action::reoffer, ""},
      {sla_kind::human_response, duration{0}, escalation_action::notify, "supervisors"},
      {sla_kind::human_response, human_response / 2, escalation_action::priority, ""},
  };
}

std::string_view name(sla_kind k) {
  return sla_names[static_cast<std::size_t>(k)];
}

std::string_view name(escalation_action a) {
  return action_names[static_cast<std::size_t>(a)];
}

std::optional<sla_kind> parse_sla_kind(std::string_view text) {
  for (std::size_t i = 0; i < sla_names.size(); ++i) {
    if (sla_names[i] == text) {
      return static_cast<sla_kind>(i);
    }
  }
  return std::nullopt;
}

std::optional<escalation_action> parse_escalation_action(std::string_view text) {
  for (std::size_t i = 0; i < action_names.size(); ++i) {
    if (action_names[i] == text) {
      return static_cast<escalation_action>(i);
    }
  }
  return std::nullopt;
}

std::string_view name(sync_mode m) {
  switch (m) {
    case sync_mode::none:
      return "none";
    case sync_mode::batch:
      return "batch";
    case sync_mode::always:
      return "always";
  }
  return "batch";
}

duration tier_policy::sla_duration(sla_kind kind) const {
  switch (kind) {
    case sla_kind::bot_attempt:
      return bot_attempt;
    case sla_kind::human_response:
      return human_response;
    case sla_kind::offer_accept:
      return offer_accept;
    case sla_kind::bot_max_turns:
      break;
  }
  return duration{0};
}

const tier_policy* config::find_tier(std::string_view tier_name) const {
  for (const auto& tier : tiers) {
    if (tier.name == tier_name) {
      return &tier;
    }
  }
  return nullptr;
}

const tier_policy& config::tier_or_default(std::string_view tier_name) const {
  if (const tier_policy* found = find_tier(tier_name)) {
    return *found;
  }
  // Validation guarantees that the default tier exists.
  return *find_tier(default_tier);
}

config default_config() {
  using std::chrono::seconds;
  config cfg;
  cfg.tiers.push_back(make_tier("standard", 0, seconds{5}, 3, seconds{60}, seconds{15}));
  cfg.tiers.push_back(make_tier("priority", 10, seconds{2}, 2, seconds{30}, seconds{10}));
  return cfg;
}

std::vector<config_problem> validate(const config& cfg) {
  std::vector<config_problem> problems;

  if (cfg.listener.max_frame_bytes < 64 || cfg.listener.max_frame_bytes > (16u << 20)) {
    add(problems, "listen.max_frame_bytes", "must be between 64 and 16777216");
  }
  if (cfg.listener.io_threads < 1 || cfg.listener.io_threads > 64) {
    add(problems, "listen.io_threads", "must be between 1 and 64");
  }
  if (cfg.listener.max_body_bytes < 1024 || cfg.listener.max_body_bytes > (256u << 20)) {
    add(problems, "listen.max_body_bytes", "must be between 1024 and 268435456");
  }
  if (cfg.listener.max_header_bytes < 1024 || cfg.listener.max_header_bytes > (1u << 20)) {
    add(problems, "listen.max_header_bytes", "must be between 1024 and 1048576");
  }
  const rollout_config& rollout = cfg.rollout;
  if (rollout.window < duration{1000}) {
    add(problems, "rollout.window", "must be at least 1s");
  }
  if (!(rollout.max_containment_drop >= 0 && rollout.max_containment_drop <= 1)) {
    add(problems, "rollout.max_containment_drop", "must be between 0 and 1");
  }
  if (rollout.enabled && rollout.stages.empty()) {
    add(problems, "rollout.stage", "at least one [[rollout.stage]] is needed when enabled");
  }
  double previous_share = 0;
  for (std::size_t i = 0; i < rollout.stages.size(); ++i) {
    const rollout_stage& stage = rollout.stages[i];
    if (stage.name.empty()) {
      add(problems, "rollout.stage.name", "every stage needs a name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (rollout.stages[j].name == stage.name && !stage.name.empty()) {
        add(problems, "rollout.stage.name", "\"" + stage.name + "\" is used twice");
      }
    }
    if (!(stage.share >= 0 && stage.share <= 1)) {
      add(problems, "rollout.stage.share", "must be between 0 and 1");
    } else if (stage.share < previous_share) {
      add(problems, "rollout.stage.share", "must not fall from one stage to the next");
    } else {
      previous_share = stage.share;
    }
    for (const auto& threshold :
         {stage.gate.min_containment, stage.gate.max_escalation_rate,
          stage.gate.min_first_contact_resolution, stage.gate.min_human_response_attainment}) {
      if (threshold && !(*threshold >= 0 && *threshold <= 1)) {
        add(problems, "rollout.stage", "gate thresholds are shares between 0 and 1");
      }
    }
    if (stage.gate.min_csat && !(*stage.gate.min_csat >= 1 && *stage.gate.min_csat <= 5)) {
      add(problems, "rollout.stage.min_csat", "must be a score between 1 and 5");
    }
  }
  if (cfg.listener.max_connections < 1 || cfg.listener.max_connections > 1'000'000) {
    add(problems, "listen.max_connections", "must be between 1 and 1000000");
  }
  if (cfg.listener.max_send_queue_bytes < (64u << 10)
      || cfg.listener.max_send_queue_bytes > (1u << 30)) {
    add(problems, "listen.max_send_queue_bytes", "must be between 65536 and 1073741824");
  }
  if (cfg.listener.idle_timeout.count() < 0) {
    add(problems, "listen.idle_timeout", "must not be negative");
  }
  if ((cfg.listener.tcp_tls || cfg.listener.http_tls)
      && (cfg.listener.tls_certificate.empty() || cfg.listener.tls_private_key.empty())) {
    add(problems,
        cfg.listener.tls_certificate.empty() ? "listen.tls_certificate" : "listen.tls_private_key",
        "is required when listen.tcp_tls or listen.http_tls is on");
  }
  if (cfg.listener.request_timeout.count() <= 0) {
    add(problems, "listen.request_timeout", "must be longer than 0ms");
  }
  if (cfg.listener.hello_timeout.count() <= 0) {
    add(problems, "listen.hello_timeout", "must be longer than 0ms");
  }
  if (cfg.journal.path.empty()) {
    add(problems, "journal.path", "must not be empty");
  }
  if (cfg.journal.max_batch_events < 1 || cfg.journal.max_batch_events > 100000) {
    add(problems, "journal.max_batch_events", "must be between 1 and 100000");
  }
  if (cfg.journal.retention < duration{1000}) {
    add(problems, "journal.retention", "must be at least 1s");
  }
  if (cfg.journal.retention_sweep <= duration{0}
      || cfg.journal.retention_sweep > cfg.journal.retention) {
    add(problems, "journal.retention_sweep", "must be positive and at most journal.retention");
  }
  if (cfg.journal.snapshot_records > 1'000'000) {
    add(problems, "journal.snapshot_records", "must be 0 (never) to 1000000");
  }
  if (cfg.runtime.scheduler_threads < 1 || cfg.runtime.scheduler_threads > 256) {
    add(problems, "runtime.scheduler_threads", "must be between 1 and 256");
  }
  if (cfg.runtime.policy != "sharing" && cfg.runtime.policy != "stealing") {
    add(problems, "runtime.policy", "must be \"sharing\" or \"stealing\"");
  }
  if (cfg.runtime.max_throughput < 1) {
    add(problems, "runtime.max_throughput", "must be at least 1");
  }
  if (cfg.bot.connector != bot_connector::embedded) {
    if (!cfg.bot.webhook_url.starts_with("http://")
        && !cfg.bot.webhook_url.starts_with("https://")) {
      add(problems, "bot.webhook_url",
          "is required for the webhook and rasa connectors, as http(s)://host:port/path");
    }
    if (cfg.bot.webhook_timeout.count() <= 0) {
      add(problems, "bot.webhook_timeout", "must be longer than 0ms");
    }
    if (cfg.bot.webhook_retries < 0 || cfg.bot.webhook_retries > 20) {
      add(problems, "bot.webhook_retries", "must be between 0 and 20");
    }
    if (cfg.bot.webhook_max_in_flight < 1 || cfg.bot.webhook_max_in_flight > 10000) {
      add(problems, "bot.webhook_max_in_flight", "must be between 1 and 10000");
    }
  }
  if (cfg.bot.transcript_lines < 0 || cfg.bot.transcript_lines > 50) {
    add(problems, "bot.transcript_lines",
        "must be between 0 and 50 (the lines a conversation keeps)");
  }

  if (cfg.tiers.empty()) {
    add(problems, "tiers", "at least one tier is required");
  }
  std::set<std::string> seen;
  for (const auto& tier : cfg.tiers) {
    const std::string key = "tiers." + tier.name;
    if (!seen.insert(tier.name).second) {
      add(problems, key, "tier defined twice");
    }
    if (tier.bot_attempt.count() <= 0) {
      add(problems, key + ".bot_attempt", "must be longer than 0ms");
    }
    if (tier.human_response.count() <= 0) {
      add(problems, key + ".human_response", "must be longer than 0ms");
    }
    if (tier.offer_accept.count() <= 0) {
      add(problems, key + ".offer_accept", "must be longer than 0ms");
    }
    if (tier.bot_max_turns < 1) {
      add(problems, key + ".bot_max_turns", "must be at least 1");
    }
    if (tier.resume_window.count() < 0) {
      add(problems, key + ".resume_window", "must not be negative");
    }
    if (tier.idle_warning.count() < 0 || tier.idle_close.count() < 0) {
      add(problems, key + ".idle_close", "idle durations must not be negative");
    }
    if (tier.idle_warning.count() > 0 && tier.idle_close.count() > 0
        && tier.idle_close <= tier.idle_warning) {
      add(problems, key + ".idle_close", "must be longer than idle_warning");
    }
    if (tier.return_to_agent.count() < 0) {
      add(problems, key + ".return_to_agent", "must not be negative");
    }
    if (tier.max_queue < 0) {
      add(problems, key + ".max_queue", "must not be negative");
    }
    if (tier.when_queue_full == queue_full_action::overflow
        && (cfg.find_tier(tier.queue_full_target) == nullptr
            || tier.queue_full_target == tier.name)) {
      add(problems, key + ".queue_full_target", "must name another configured tier");
    }
    for (const auto& step : tier.escalation) {
      if (step.after.count() < 0) {
        add(problems, key + ".escalation", "a step's `after` must not be negative");
      }
      if (step.action == escalation_action::overflow && cfg.find_tier(step.target) == nullptr) {
        add(problems, key + ".escalation",
            "overflow target \"" + step.target + "\" is not a configured tier");
      }
    }
  }
  if (cfg.kpis.window < duration{1000}) {
    add(problems, "kpis.window", "must be at least 1s");
  }
  if (cfg.agent_disconnect_grace < duration{0}) {
    add(problems, "routing.agent_disconnect_grace", "must not be negative");
  }
  if (cfg.find_tier(cfg.default_tier) == nullptr) {
    add(problems, "routing.default_tier", "\"" + cfg.default_tier + "\" is not a configured tier");
  }
  for (const auto& rule : cfg.routing) {
    if (!rule.tier.empty() && cfg.find_tier(rule.tier) == nullptr) {
      add(problems, "routing.rule", "tier \"" + rule.tier + "\" is not a configured tier");
    }
    if (rule.tier.empty() && rule.skills.empty()) {
      add(problems, "routing.rule", "a rule needs a `tier`, `skills` or both");
    }
    if (rule.attr.empty()) {
      add(problems, "routing.rule", "`attr` must not be empty");
    }
    if (std::any_of(rule.skills.begin(), rule.skills.end(),
                    [](const std::string& skill) { return skill.empty(); })) {
      add(problems, "routing.rule", "a skill must not be empty");
    }
  }
  for (const auto& route : cfg.intent_skills) {
    const std::string key = "routing.intent_skills." + route.intent;
    if (route.skills.empty()) {
      add(problems, key, "must list at least one skill");
    }
    if (std::any_of(route.skills.begin(), route.skills.end(),
                    [](const std::string& skill) { return skill.empty(); })) {
      add(problems, key, "a skill must not be empty");
    }
  }
  return problems;
}

void scale_slas(config& cfg, double factor) {
  auto scaled = [factor](duration d) {
    return duration{static_cast<std::int64_t>(static_cast<double>(d.count()) / factor)};
  };
  for (auto& tier : cfg.tiers) {
    tier.bot_attempt = scaled(tier.bot_attempt);
    tier.human_response = scaled(tier.human_response);
    tier.offer_accept = scaled(tier.offer_accept);
    tier.resume_window = scaled(tier.resume_window);
    tier.idle_warning = scaled(tier.idle_warning);
    tier.idle_close = scaled(tier.idle_close);
    tier.return_to_agent = scaled(tier.return_to_agent);
    for (auto& step : tier.escalation) {
      step.after = scaled(step.after);
    }
  }
}

namespace {

/// Whether every tier `tier` sends conversations to (an overflow step, a full queue) runs.
bool targets_run(const tier_policy& tier, const config& running) {
  if (!tier.queue_full_target.empty() && running.find_tier(tier.queue_full_target) == nullptr) {
    return false;
  }
  for (const auto& step : tier.escalation) {
    if (step.action == escalation_action::overflow && running.find_tier(step.target) == nullptr) {
      return false;
    }
  }
  return true;
}

/// Whether every tier the routing rules choose runs.
bool rules_target_running_tiers(const std::vector<routing_rule>& rules, const config& running) {
  for (const auto& rule : rules) {
    if (!rule.tier.empty() && running.find_tier(rule.tier) == nullptr) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> restart_only_changes(const config& running, const config& next) {
  std::vector<std::string> keys;
  if (!(running.listener == next.listener)) {
    keys.emplace_back("listen");
  }
  if (!(running.auth == next.auth)) {
    keys.emplace_back("auth");
  }
  if (!(running.journal == next.journal)) {
    keys.emplace_back("journal");
  }
  if (!(running.runtime == next.runtime)) {
    keys.emplace_back("runtime");
  }
  if (!(running.bot == next.bot)) {
    keys.emplace_back("bot");
  }
  if (!(running.kpis == next.kpis)) {
    keys.emplace_back("kpis");
  }
  // Each tier has its router actor and its queue from the start.
  for (const auto& tier : next.tiers) {
    if (running.find_tier(tier.name) == nullptr) {
      keys.push_back("tiers." + tier.name);
    } else if (!targets_run(tier, running)) {
      keys.push_back("tiers." + tier.name + " (it sends conversations to a tier not running)");
    }
  }
  if (!rules_target_running_tiers(next.routing, running)) {
    keys.emplace_back("routing.rule (a rule names a tier not running)");
  }
  for (const auto& tier : running.tiers) {
    if (next.find_tier(tier.name) == nullptr) {
      keys.push_back("tiers." + tier.name);
    }
  }
  return keys;
}

config merge_live_changes(const config& running, const config& next) {
  config merged = running;
  // What sends conversations to a tier that only a restart would add waits for that restart.
  for (auto& tier : merged.tiers) {
    if (const tier_policy* changed = next.find_tier(tier.name);
        changed != nullptr && targets_run(*changed, running)) {
      tier = *changed;
    }
  }
  if (rules_target_running_tiers(next.routing, running)) {
    merged.routing = next.routing;
  }
  merged.intent_skills = next.intent_skills;
  // A default tier the running router does not have would leave conversations nowhere.
  if (running.find_tier(next.default_tier) != nullptr) {
    merged.default_tier = next.default_tier;
  }
  merged.session_broker = next.session_broker;
  merged.agent_disconnect_grace = next.agent_disconnect_grace;
  merged.rollout = next.rollout;
  return merged;
}

std::vector<std::string> live_changes(const config& running, const config& merged) {
  std::vector<std::string> keys;
  for (const auto& tier : merged.tiers) {
    const tier_policy* before = running.find_tier(tier.name);
    if (before != nullptr && !(*before == tier)) {
      keys.push_back("tiers." + tier.name);
    }
  }
  if (running.routing != merged.routing) {
    keys.emplace_back("routing.rule");
  }
  if (running.intent_skills != merged.intent_skills) {
    keys.emplace_back("routing.intent_skills");
  }
  if (running.default_tier != merged.default_tier) {
    keys.emplace_back("routing.default_tier");
  }
  if (running.session_broker != merged.session_broker) {
    keys.emplace_back("routing.session_broker");
  }
  if (running.agent_disconnect_grace != merged.agent_disconnect_grace) {
    keys.emplace_back("routing.agent_disconnect_grace");
  }
  if (!(running.rollout == merged.rollout)) {
    keys.emplace_back("rollout");
  }
  return keys;
}

}  // namespace blendroute
