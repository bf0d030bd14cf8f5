#pragma once
// Settings of blendroute-load: the flags every mode shares and those of each mode.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/load/scenario.hpp"

namespace blendroute::load {

/// Defaults of the command-line flags; the tokens match conf/blendroute.toml.
namespace defaults {
inline constexpr std::string_view addr = "127.0.0.1:7400";
inline constexpr std::string_view http_addr = "127.0.0.1:7480";
inline constexpr std::string_view gateway_token = "gateway-dev-token";
inline constexpr std::string_view agent_token = "agent-dev-token";
inline constexpr std::string_view supervisor_token = "supervisor-dev-token";
inline constexpr std::string_view bot_token = "bot-dev-token";
inline constexpr std::string_view admin_token = "admin-dev-token";
inline constexpr std::chrono::seconds timeout{300};

inline constexpr std::string_view replay_file = "data/sample/conversations.jsonl";
inline constexpr double replay_speed = 10;
/// Dataset time after its last message that a customer still left with the bot waits before
/// closing the chat (reported as `customer.left`).
inline constexpr std::chrono::milliseconds customer_walk_away{60'000};
inline constexpr std::chrono::seconds replay_ramp{20};
inline constexpr std::size_t replay_agents = 24;
inline constexpr std::size_t replay_capacity = 3;
inline constexpr std::chrono::seconds replay_think{3};
inline constexpr std::size_t replay_gateways = 4;

inline constexpr std::size_t closed_conversations = 200;
inline constexpr std::size_t closed_connections = 4;
inline constexpr std::chrono::seconds closed_duration{10};
inline constexpr std::chrono::seconds closed_warmup{2};
/// Messages sent to one conversation id before moving to the next. Below the standard tier's
/// bot_max_turns (3 in conf/blendroute.toml): the bot's 3rd unresolved reply escalates to the
/// human queue, which `closed` must not measure.
inline constexpr std::size_t closed_messages_per_conv = 2;

inline constexpr double open_rate = 1000;
inline constexpr std::size_t open_conversations = 1000;
inline constexpr std::size_t open_connections = 4;
inline constexpr std::size_t open_capacity = 10;
}  // namespace defaults

/// Flags shared by every mode: where the router is, how to authenticate, how long to run.
struct common_options {
  /// `host:port` of the router's NDJSON TCP listener; `[v6]:port` for IPv6 literals.
  std::string addr{defaults::addr};
  /// `host:port` of the router's HTTP listener, for the server check (`/metrics` and
  /// `/v1/kpis` before and after the run); empty for none.
  std::string http_addr{defaults::http_addr};
  std::string gateway_token{defaults::gateway_token};
  std::string agent_token{defaults::agent_token};
  std::string supervisor_token{defaults::supervisor_token};
  /// Not used by `replay` (the router's bot answers); kept for modes that play the bot.
  std::string bot_token{defaults::bot_token};
  /// Not used by `replay`; kept for modes that drive admin endpoints.
  std::string admin_token{defaults::admin_token};
  /// Hard bound on the whole run, connecting included; then the unfinished work is reported.
  std::chrono::nanoseconds timeout{defaults::timeout};
  /// Also write the report as JSON to this file; empty for none.
  std::string json_path;
  /// Writes `<prefix>-latency.svg` (and, in `closed` and `open`, `-throughput.svg`) when set.
  std::string plot_prefix;
  /// A saved `--json` report to compare this run with; a regression exits 3.
  std::string compare_path;
  /// How much worse than the baseline a figure may be before it is a regression (0.10).
  double regression_threshold = 0.10;
  /// No progress lines on stderr; the final report is still printed.
  bool quiet = false;
};

/// Flags of `blendroute-load replay`.
struct replay_options {
  common_options common;
  /// The JSONL dataset (shared/data/README.md).
  std::string file{defaults::replay_file};
  /// Conversations to replay from the start of the file; 0 = all.
  std::size_t limit = 0;
  /// Time compression: dataset seconds per wall-clock second; > 0.
  double speed = defaults::replay_speed;
  /// Wall time over which conversation starts are spread evenly.
  std::chrono::nanoseconds ramp{defaults::replay_ramp};
  /// Agent connections, `agent-01`, `agent-02`, ...
  std::size_t agents = defaults::replay_agents;
  /// Concurrent conversations each agent announces; >= 1.
  std::size_t capacity = defaults::replay_capacity;
  /// Agent think time in dataset time; a reply waits min(think, the data's own gap) / speed.
  std::chrono::nanoseconds think{defaults::replay_think};
  /// Gateway connections; conversations are spread over them round-robin; >= 1.
  std::size_t gateways = defaults::replay_gateways;
  /// Prefix of every conversation id, so that reruns against a kept journal never collide;
  /// empty means the current Unix time in seconds.
  std::string run_id;
};

/// How `closed` and `open` pace their customer messages.
enum class loop_pacing {
  /// Each conversation sends its next message as soon as the last is acked: the maximum.
  closed,
  /// Messages arrive at a fixed mean rate (Poisson), whatever the router answers.
  open,
};

/// How `closed` and `open` send their customer messages.
enum class loop_transport {
  /// NDJSON over the gateway connections.
  tcp,
  /// `POST /v1/events` on keep-alive HTTP connections; one NDJSON gateway gets the replies.
  http,
};

/// What the simulated contact center around the router is like, in `closed` and `open`.
struct scenario_options {
  /// Share of new conversations that ask for a human (0–1); the rest the bot contains.
  double escalate_share = 0;
  /// Agent connections (`agent-01`, …) that accept every offer, answer each customer message
  /// and resolve after answering the conversation's last (`--messages-per-conv`) one.
  std::size_t agents = 0;
  /// Concurrent conversations each agent announces; >= 1.
  std::size_t capacity = defaults::open_capacity;
  /// How long an agent works on what the customer said before its reply (and resolve).
  std::chrono::nanoseconds think{0};
  /// Bot connections the tool plays itself; 0 leaves the bot to the router (the embedded
  /// bot, or whatever bots are connected). The tool's bot hands off the conversations that
  /// ask for a human and resolves the others on their last message.
  std::size_t bots = 0;
  /// The tier each new conversation names; empty: the router's routing rules choose.
  tier_mix tiers;
  /// Length of the customer messages' text; `fixed_texts()`: the short built-in ones.
  message_size message_bytes;
  /// A supervisor connection watches states and breaches (outcomes and SLAs per tier).
  bool supervisor = true;
};

/// Flags of `blendroute-load closed` and `blendroute-load open`.
struct loop_options {
  common_options common;
  loop_pacing pacing = loop_pacing::closed;
  /// Closed: simulated conversations, each with at most one message in flight. Open:
  /// conversations under way at once; arrival k is the next message of slot k mod this, so
  /// messages of one conversation are about `conversations / rate` seconds apart. >= 1.
  std::size_t conversations = defaults::closed_conversations;
  /// Gateway connections (HTTP connections with `--transport http`); conversations are
  /// spread over them round-robin; >= 1.
  std::size_t connections = defaults::closed_connections;
  loop_transport transport = loop_transport::tcp;
  /// `--transport http`: events per request at the most.
  std::size_t http_batch = 1;
  /// Length of the measured window, after the warm-up.
  std::chrono::nanoseconds duration{defaults::closed_duration};
  /// Load before the measured window whose acks are not counted.
  std::chrono::nanoseconds warmup{defaults::closed_warmup};
  /// Messages per conversation id before a conversation moves on to a fresh id; >= 1.
  std::size_t messages_per_conv = defaults::closed_messages_per_conv;
  /// Open only: customer messages per second, arriving as a Poisson process; > 0.
  double rate = defaults::open_rate;
  /// Seed of the arrival times, escalations, tiers and message sizes.
  std::uint64_t seed = 1;
  scenario_options scenario;
  /// Prefix of every event and conversation id; empty means the current Unix time in seconds.
  std::string run_id;
};

}  // namespace blendroute::load
