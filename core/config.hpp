// The validated configuration (DESIGN.md §8): one plain struct per TOML section.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/business_hours.hpp"
#include "core/rollout.hpp"
#include "core/time.hpp"

namespace blendroute {

/// The four service levels of a tier (DESIGN.md §3).
enum class sla_kind : std::uint8_t { bot_attempt, bot_max_turns, human_response, offer_accept };

/// How many kinds of SLA there are, for arrays indexed by sla_kind.
constexpr std::size_t sla_kinds = 4;
static_assert(static_cast<std::size_t>(sla_kind::offer_accept) + 1 == sla_kinds,
              "sla_kinds counts every sla_kind");

/// What an escalation step does when it runs.
enum class escalation_action : std::uint8_t {
  escalate,
  reoffer,
  overflow,
  priority,
  notify,
  relax
};

std::string_view name(sla_kind k);
std::string_view name(escalation_action a);
std::optional<sla_kind> parse_sla_kind(std::string_view text);
std::optional<escalation_action> parse_escalation_action(std::string_view text);

/// One step of a tier's escalation matrix: `after` the SLA's deadline, run `action`.
struct escalation_step {
  sla_kind sla = sla_kind::bot_attempt;
  duration after{0};  ///< Delay after the deadline; 0 runs the step at the deadline. ≥ 0.
  escalation_action action = escalation_action::notify;
  std::string target;  ///< overflow: the tier to move to; notify: free text for supervisors.

  bool operator==(const escalation_step&) const = default;
};

/// What happens to a new escalation when its tier's queue is full.
enum class queue_full_action : std::uint8_t {
  bot,       ///< The bot keeps the conversation and the customer is told (`queue_full_text`).
  overflow,  ///< It queues in the tier `queue_full_target` instead (once).
};

/// A tier's service levels and how a breach is handled.
struct tier_policy {
  std::string name;
  int priority = 0;                ///< Queues of higher priority are served first. Any integer.
  duration bot_attempt{5000};      ///< Customer message → bot reply. > 0.
  int bot_max_turns = 3;           ///< Bot replies allowed before it must have resolved. ≥ 1.
  duration human_response{60000};  ///< Escalation → first agent reply. > 0.
  duration offer_accept{15000};    ///< Offer → accept, else re-offer. > 0.
  duration resume_window{600000};  ///< A message this soon after resolution reopens. ≥ 0.
  /// A customer silent this long after the bot's or agent's last message is warned; 0 never.
  duration idle_warning{300000};
  /// ...and the conversation is closed as abandoned this long after that message; 0 never.
  /// Longer than `idle_warning` when both are set.
  duration idle_close{600000};
  std::string idle_warning_text =
      "Are you still there? This chat will close soon if we do not hear from you.";
  /// A customer reopening a conversation an agent resolved goes back to that agent if the
  /// agent has room within this time, else to the queue; 0 always to the bot first.
  duration return_to_agent{120000};
  /// Conversations the queue holds before new escalations are turned away; 0 no limit.
  int max_queue = 0;
  queue_full_action when_queue_full = queue_full_action::bot;
  std::string queue_full_target;  ///< The tier to overflow to.
  std::string queue_full_text =
      "All our agents are busy right now. Please write again in a few minutes.";
  std::vector<escalation_step> escalation;  ///< Ordered by `after` within each SLA.
  /// Opening hours; without them the tier is always open.
  std::optional<business_calendar> hours;

  /// The deadline length of `kind` (bot_max_turns has none and returns 0).
  duration sla_duration(sla_kind kind) const;

  /// When an SLA clock started at `start` with length `length` runs out: the clock only runs
  /// while the tier is open.
  time_point deadline_after(time_point start, duration length) const {
    return hours ? hours->after_open_time(start, length) : start + length;
  }

  /// Whether humans are on duty at `at`.
  bool open_at(time_point at) const { return !hours || hours->open_at(at); }

  bool operator==(const tier_policy&) const = default;
};

/// A new conversation whose attribute `attr` equals `equals` goes to `tier` and requires
/// `skills` of its agent. A rule needs at least one of the two.
struct routing_rule {
  std::string attr;
  std::string equals;
  std::string tier;                 ///< Empty: the rule does not choose the tier.
  std::vector<std::string> skills;  ///< Added to the conversation's required skills.

  bool operator==(const routing_rule&) const = default;
};

/// A conversation whose bot recognised `intent` requires `skills` of its agent (unless the
/// bot's reply names skills itself).
struct intent_route {
  std::string intent;
  std::vector<std::string> skills;

  bool operator==(const intent_route&) const = default;
};

/// The TCP NDJSON listener.
struct listener_config {
  std::string host = "127.0.0.1";         ///< Address to bind; loopback by default.
  std::uint16_t tcp_port = 7400;          ///< 0 picks a free port (tests).
  std::size_t max_frame_bytes = 65536;    ///< Longest accepted frame. 64 B – 16 MiB.
  int io_threads = 1;                     ///< Threads decoding frames. 1–64.
  duration hello_timeout{10000};          ///< Time a new connection has to say hello. > 0.
  std::uint16_t http_port = 7480;         ///< HTTP listener (`POST /v1/events`…); 0 a free port.
  std::size_t max_body_bytes = 4u << 20;  ///< Largest HTTP request body. 1 KiB – 256 MiB.
  std::size_t max_header_bytes = 8192;    ///< Largest HTTP request header. 1 KiB – 1 MiB.
  /// Open connections each listener (TCP; HTTP with its WebSocket streams) holds at most;
  /// one more is refused. 1 – 1,000,000.
  std::size_t max_connections = 10000;
  /// Unsent output a receiver may leave before it is disconnected as too slow. 64 KiB – 1 GiB.
  std::size_t max_send_queue_bytes = 16u << 20;
  /// A TCP or WebSocket session that receives nothing for this long is closed; 0 never.
  duration idle_timeout{0};
  /// Time an HTTP client has to send a whole request, headers and body (slowloris), and
  /// that an idle keep-alive connection stays open. > 0.
  duration request_timeout{10000};
  /// TLS on the TCP listener, the HTTP listener (and its WebSocket streams), or both,
  /// with the certificate chain and private key below (PEM files).
  bool tcp_tls = false;
  bool http_tls = false;
  std::string tls_certificate;
  std::string tls_private_key;

  bool operator==(const listener_config&) const = default;
};

/// Tokens each role presents in its `hello`. An empty token disables that role.
struct auth_config {
  std::string gateway = "gateway-dev-token";
  std::string bot = "bot-dev-token";
  std::string agent = "agent-dev-token";
  std::string supervisor = "supervisor-dev-token";
  std::string admin = "admin-dev-token";
  /// The token `/metrics`, `/healthz` and `/readyz` need, besides the supervisor's and the
  /// admin's. Empty (the default): they need none, as scrapers and probes usually expect.
  std::string monitoring;

  bool operator==(const auth_config&) const = default;
};

/// When an ack may be sent relative to the journal write (DESIGN.md §6).
enum class sync_mode : std::uint8_t { none, batch, always };

std::string_view name(sync_mode m);

/// The RocksDB journal.
struct journal_config {
  std::string path = "var/journal";  ///< Directory of the RocksDB database.
  sync_mode sync = sync_mode::batch;
  std::size_t max_batch_events = 1000;  ///< Largest group commit. 1–100000.
  /// A finished conversation's history (and every ingress id) is deleted this long after it
  /// finished (was received); a retry of an id older than this applies again. ≥ 1 s.
  duration retention{7LL * 86'400'000};
  /// How often retention runs. > 0, at most `retention`.
  duration retention_sweep{60'000};
  /// Recovery snapshots a conversation it restored from this many records or more (after
  /// its last snapshot), so that the next start reads only what came after. 0: never.
  std::size_t snapshot_records = 64;

  bool operator==(const journal_config&) const = default;
};

/// The CAF actor runtime.
struct runtime_config {
  /// Worker threads. 1–256. One leaves the other core of a 2-core machine to the I/O and
  /// journal threads, which was faster than two (docs/configuration.md).
  int scheduler_threads = 1;
  std::string policy = "sharing";  ///< `sharing` or `stealing` (see DESIGN.md §9).
  int max_throughput = 300;        ///< Messages an actor handles per turn. ≥ 1.

  bool operator==(const runtime_config&) const = default;
};

/// The embedded FAQ bot.
/// Where bot requests go besides bot connections (DESIGN.md §5).
enum class bot_connector : std::uint8_t {
  embedded,  ///< Bot connections, else the embedded FAQ bot.
  webhook,   ///< POSTed to `webhook_url`; the response is the bot's reply.
  rasa,      ///< POSTed to a Rasa REST channel (`webhook_url`, …/webhooks/rest/webhook).
};

struct bot_config {
  std::string rules_file = "conf/faq_bot.toml";
  int transcript_lines = 10;  ///< Recent lines sent in each `context`. 0–50.
  bot_connector connector = bot_connector::embedded;
  std::string webhook_url;  ///< http(s)://host:port/path; required for webhook and rasa.
  /// Certificate authorities (PEM) an https:// webhook is verified against; empty: the
  /// system's.
  std::string webhook_ca_file;
  std::string webhook_secret;      ///< Signs each body (HMAC-SHA256); empty: unsigned.
  duration webhook_timeout{5000};  ///< One attempt, connect to response. > 0.
  int webhook_retries = 3;         ///< Attempts after the first, with backoff. 0–20.
  int webhook_max_in_flight = 64;  ///< Requests outstanding at once; more wait. 1–10000.
  /// Rasa: a custom payload with this key set to true hands the conversation to a human.
  std::string rasa_handoff_key = "handoff";
  /// Rasa: a custom payload `{"intent": …}` naming this intent hands over too; empty none.
  std::string rasa_handoff_intent;

  bool operator==(const bot_config&) const = default;
};

/// The outcome KPIs (DESIGN.md §7).
struct kpi_config {
  duration window{3'600'000};  ///< The sliding window KPIs are computed over. ≥ 1 s.

  bool operator==(const kpi_config&) const = default;
};

/// The whole validated configuration. Immutable once validated; a reload builds a new one.
struct config {
  listener_config listener;
  auth_config auth;
  journal_config journal;
  runtime_config runtime;
  bot_config bot;
  kpi_config kpis;
  std::vector<tier_policy> tiers;
  std::vector<routing_rule> routing;
  std::vector<intent_route> intent_skills;
  rollout_config rollout;  ///< Off by default: every conversation bot-first.
  std::string default_tier = "standard";
  /// A customer's new conversation id on a channel where they already have a conversation
  /// continues that conversation (the session broker).
  bool session_broker = true;
  /// An agent whose last connection drops loses its pending offers at once, and goes
  /// offline (its conversations back to their queues) when it has not reconnected within
  /// this time. ≥ 0; 0 offline at once.
  duration agent_disconnect_grace{30'000};

  /// The tier called `name`, or nullptr.
  const tier_policy* find_tier(std::string_view name) const;

  /// The tier called `name`, or the default tier when `name` is no longer configured (a
  /// conversation opened under a tier that a reload or restart removed).
  const tier_policy& tier_or_default(std::string_view name) const;
};

/// The escalation matrix of a tier whose configuration gives none, for its human-response
/// SLA: its second human-response step comes half that SLA after the deadline.
std::vector<escalation_step> builtin_escalation(duration human_response);

/// The built-in defaults: the `standard` and `priority` tiers of DESIGN.md §3 and their
/// escalation matrices.
config default_config();

/// What a reload (SIGHUP) of `next` over the `running` configuration would change that
/// only a restart can: the sections (`listen`, `auth`, `journal`, `runtime`, `bot`, `kpis`)
/// that differ, and tiers added or removed (`tiers.<name>`). Empty when all of it applies
/// live.
std::vector<std::string> restart_only_changes(const config& running, const config& next);

/// `running` with everything a reload applies live taken from `next`: the settings of the
/// tiers both have (SLAs, escalation matrices, priorities, hours, queue limits, texts), the
/// routing rules and intent skills, the default tier, the session broker, the agent
/// disconnect grace and the rollout. What restart_only_changes() names stays as it runs.
config merge_live_changes(const config& running, const config& next);

/// What differs between `running` and `merged` (from merge_live_changes), for the log:
/// `tiers.<name>`, `routing.rule`, `routing.intent_skills`, `routing.default_tier`,
/// `routing.session_broker`, `routing.agent_disconnect_grace`, `rollout`.
std::vector<std::string> live_changes(const config& running, const config& merged);

/// One problem found by validation, with the key (and line, when read from a file).
struct config_problem {
  std::string key;
  int line = 0;  ///< 0 when unknown.
  std::string message;
};

/// Checks values and combinations of values; reports every problem, clamps nothing.
std::vector<config_problem> validate(const config& cfg);

/// Divides every SLA duration and escalation delay by `factor` (> 0). Used by replays that
/// compress the conversations' time by the same factor.
void scale_slas(config& cfg, double factor);

}  // namespace blendroute
