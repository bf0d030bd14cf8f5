// blendroute-load: the load generator and replayer. This file only parses the command line;
// each mode (a subcommand) lives in its own file.

#include <chrono>
#include <iostream>
#include <map>
#include <string>

#include "bench/load/compare.hpp"
#include "bench/load/duration.hpp"
#include "bench/load/loop.hpp"
#include "bench/load/options.hpp"
#include "bench/load/replay.hpp"
#include "bench/load/scenario.hpp"

#include <CLI/CLI.hpp>

namespace {

// The router's default frame limit is 64 KiB (listen.max_frame_bytes); leave room for the
// rest of the frame.
constexpr std::size_t max_message_bytes = 60'000;

using blendroute::load::common_options;
using blendroute::load::format_duration;
using blendroute::load::loop_options;
using blendroute::load::parse_duration;
using blendroute::load::replay_options;

// Accepts "800ms", "5s", "2m" and the like; see parse_duration.
const CLI::Validator duration_validator(
    [](std::string& text) {
      return parse_duration(text) ? std::string()
                                  : "'" + text + "' is not a duration like 800ms, 5s or 2m";
    },
    "DURATION");

// CLI11 2.1 has no duration type with our units: the flag takes text, the validator refuses
// bad text, and the callback (which runs after validation) stores the parsed value.
void add_duration(CLI::App& app, const std::string& name, std::chrono::nanoseconds& target,
                  const std::string& help) {
  app.add_option_function<std::string>(
         name, [&target](const std::string& text) { target = *parse_duration(text); }, help)
      ->check(duration_validator)
      ->default_str(format_duration(target));
}

// `plot_help` says which pictures the mode draws.
void add_common_flags(CLI::App& app, common_options& options, const std::string& plot_help) {
  app.add_option("--addr", options.addr, "router NDJSON TCP address, host:port")
      ->capture_default_str();
  app.add_option("--gateway-token", options.gateway_token, "token for role gateway")
      ->capture_default_str();
  app.add_option("--agent-token", options.agent_token, "token for role agent")
      ->capture_default_str();
  app.add_option("--supervisor-token", options.supervisor_token, "token for role supervisor")
      ->capture_default_str();
  app.add_option("--bot-token", options.bot_token, "token for role bot (unused by replay)")
      ->capture_default_str();
  app.add_option("--admin-token", options.admin_token, "token for role admin (unused by replay)")
      ->capture_default_str();
  app.add_option("--http-addr", options.http_addr,
                 "router HTTP address: its counters are read before and after the run and "
                 "checked against the tool's; empty for none")
      ->capture_default_str();
  add_duration(app, "--timeout", options.timeout,
               "hard bound on the run; then report what is unfinished and exit 1");
  app.add_option("--json", options.json_path, "also write the report as JSON to this file");
  app.add_option("--plot", options.plot_prefix, plot_help);
  app.add_option("--compare", options.compare_path,
                 "compare with this saved --json report; exit 3 on a regression");
  app.add_option_function<std::string>(
         "--regression-threshold",
         [&options](const std::string& text) {
           options.regression_threshold = *blendroute::load::parse_threshold(text);
         },
         "how much worse than the baseline a figure may be, e.g. 10%")
      ->check(CLI::Validator(
          [](std::string& text) {
            return blendroute::load::parse_threshold(text)
                       ? std::string()
                       : "'" + text + "' is not a share like 10% or 0.1";
          },
          "SHARE"))
      ->default_str("10%");
  app.add_flag("--quiet", options.quiet, "no progress lines on stderr");
}

void add_replay(CLI::App& app, replay_options& options) {
  auto* replay = app.add_subcommand(
      "replay", "replay recorded conversations against a running router and report the outcome");
  add_common_flags(*replay, options.common,
                   "write PREFIX-latency.svg, the latency spectra, for people (no throughput "
                   "picture: replay is paced by the data)");
  replay->add_option("--file", options.file, "conversations, one JSON object per line")
      ->capture_default_str();
  replay->add_option("--limit", options.limit, "replay only the first N conversations; 0 = all")
      ->capture_default_str();
  replay->add_option("--speed", options.speed, "time compression: dataset seconds per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_duration(*replay, "--ramp", options.ramp,
               "conversation starts are spread evenly over this wall time");
  replay->add_option("--agents", options.agents, "agent connections (agent-01, ...)")
      ->check(CLI::Range(0, 999))
      ->capture_default_str();
  replay->add_option("--capacity", options.capacity, "concurrent conversations per agent")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_duration(*replay, "--think", options.think,
               "agent think time in dataset time, capped by the data's own gap");
  replay->add_option("--gateways", options.gateways, "gateway connections, used round-robin")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  replay->add_option("--run-id", options.run_id,
                     "conversation id prefix (default: current Unix seconds)");
}

// Flags of both `closed` and `open`: the shape of the run and of the contact center.
void add_loop_flags(CLI::App& command, loop_options& options) {
  add_common_flags(command, options.common,
                   "write PREFIX-latency.svg (the latency spectra) and PREFIX-throughput.svg "
                   "(acks of each whole second of the window) for people");
  command.add_option("--connections", options.connections, "gateway connections, used round-robin")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command
      .add_option("--transport", options.transport,
                  "tcp: NDJSON over the gateway connections; http: POST /v1/events to "
                  "--http-addr over --connections keep-alive connections")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, blendroute::load::loop_transport>{
              {"tcp", blendroute::load::loop_transport::tcp},
              {"http", blendroute::load::loop_transport::http}},
          CLI::ignore_case))
      ->default_str("tcp");
  command
      .add_option("--http-batch", options.http_batch,
                  "with --transport http: events per request at the most (NDJSON body)")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  add_duration(command, "--duration", options.duration, "length of the measured window");
  add_duration(command, "--warmup", options.warmup, "load before the window, not counted");
  command
      .add_option("--messages-per-conv", options.messages_per_conv,
                  "messages per conversation id before moving to a fresh one (with the router's "
                  "bot, keep it below the tier's bot_max_turns, or conversations escalate)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command.add_option("--seed", options.seed, "seed of arrivals, escalations, tiers and sizes")
      ->capture_default_str();
  command.add_option("--run-id", options.run_id,
                     "event and conversation id prefix (default: current Unix seconds)");

  auto& scenario = options.scenario;
  command
      .add_option("--escalate", scenario.escalate_share,
                  "share of new conversations that ask for a human (0-1); the bot contains the "
                  "rest")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command
      .add_option("--agents", scenario.agents,
                  "agent connections that accept every offer, answer each customer message after "
                  "--think, and resolve after answering the conversation's last one")
      ->check(CLI::Range(0, 999))
      ->capture_default_str();
  command.add_option("--capacity", scenario.capacity, "concurrent conversations per agent")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_duration(command, "--think", scenario.think,
               "how long an agent works on a customer message before answering it");
  command
      .add_option("--bots", scenario.bots,
                  "bot connections played by the tool (measures message->bot.request); 0 leaves "
                  "the bot to the router")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  command
      .add_option_function<std::string>(
          "--tier-mix",
          [&scenario](const std::string& text) {
            std::string problem;
            scenario.tiers = *blendroute::load::parse_tier_mix(text, problem);
          },
          "tier each new conversation names, by weight: standard=0.8,priority=0.2 (default: "
          "the router's routing rules)")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::string problem;
            return blendroute::load::parse_tier_mix(text, problem) ? std::string() : problem;
          },
          "MIX"));
  command
      .add_option_function<std::string>(
          "--message-bytes",
          [&scenario](const std::string& text) {
            std::string problem;
            scenario.message_bytes =
                *blendroute::load::parse_message_size(text, max_message_bytes, problem);
          },
          "customer message text length, N or MIN-MAX bytes (default: short built-in texts)")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::string problem;
            return blendroute::load::parse_message_size(text, max_message_bytes, problem)
                       ? std::string()
                       : problem;
          },
          "BYTES"));
  command.add_flag_callback(
      "--no-supervisor", [&scenario]() { scenario.supervisor = false; },
      "no supervisor connection: no outcomes or SLAs per tier, a little less work for the router");
}

void add_closed(CLI::App& app, loop_options& options) {
  auto* closed = app.add_subcommand(
      "closed",
      "fixed concurrency: each conversation sends its next message as soon as the last is acked");
  options.pacing = blendroute::load::loop_pacing::closed;
  options.conversations = blendroute::load::defaults::closed_conversations;
  options.connections = blendroute::load::defaults::closed_connections;
  closed
      ->add_option("--conversations", options.conversations,
                   "simulated conversations, each with at most one message in flight")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  add_loop_flags(*closed, options);
}

void add_open(CLI::App& app, loop_options& options) {
  auto* open = app.add_subcommand(
      "open",
      "fixed arrival rate (Poisson): latency as customers see it, whatever the router does");
  options.pacing = blendroute::load::loop_pacing::open;
  options.conversations = blendroute::load::defaults::open_conversations;
  options.connections = blendroute::load::defaults::open_connections;
  open->add_option("--rate", options.rate, "customer messages per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  open->add_option("--conversations", options.conversations,
                   "conversations under way at once; arrivals go to them in turn")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  add_loop_flags(*open, options);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blendroute-load: load generator and replayer for the blendroute router"};
  app.require_subcommand(1);

  replay_options replay;
  add_replay(app, replay);
  loop_options closed;
  add_closed(app, closed);
  loop_options open;
  add_open(app, open);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  if (app.got_subcommand("replay")) {
    return blendroute::load::run_replay(replay, std::cout, std::cerr);
  }
  for (auto* options : {&closed, &open}) {
    const char* name = options == &closed ? "closed" : "open";
    if (!app.got_subcommand(name)) {
      continue;
    }
    if (options->transport == blendroute::load::loop_transport::http
        && options->common.http_addr.empty()) {
      std::cerr << "blendroute-load " << name << ": --transport http needs --http-addr\n";
      return 2;
    }
    if (options->scenario.escalate_share > 0 && options->scenario.agents == 0) {
      std::cerr << "blendroute-load " << name
                << ": --escalate needs --agents to take the conversations\n";
      return 2;
    }
    return blendroute::load::run_loop(*options, std::cout, std::cerr);
  }
  return 1;
}
