// blendroute-load: the load generator and replayer. This file only parses the command line;
// each mode (a subcommand) lives in its own file.

#include <chrono>
#include <iostream>
#include <string>

#include "bench/load/closed.hpp"
#include "bench/load/compare.hpp"
#include "bench/load/duration.hpp"
#include "bench/load/open.hpp"
#include "bench/load/options.hpp"
#include "bench/load/replay.hpp"

#include <CLI/CLI.hpp>

namespace {

using blendroute::load::closed_options;
using blendroute::load::common_options;
using blendroute::load::format_duration;
using blendroute::load::open_options;
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

void add_common_flags(CLI::App& app, common_options& options) {
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
  add_duration(app, "--timeout", options.timeout,
               "hard bound on the run; then report what is unfinished and exit 1");
  app.add_option("--json", options.json_path, "also write the report as JSON to this file");
  app.add_option("--plot", options.plot_prefix,
                 "write PREFIX-latency.svg and PREFIX-throughput.svg for people");
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
  add_common_flags(*replay, options.common);
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

void add_closed(CLI::App& app, closed_options& options) {
  auto* closed = app.add_subcommand(
      "closed",
      "fixed concurrency: each conversation sends its next message as soon as the last is acked");
  add_common_flags(*closed, options.common);
  closed
      ->add_option("--conversations", options.conversations,
                   "simulated conversations, each with at most one message in flight")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  closed->add_option("--connections", options.connections, "gateway connections, used round-robin")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_duration(*closed, "--duration", options.duration, "length of the measured window");
  add_duration(*closed, "--warmup", options.warmup, "load before the window, not counted");
  closed
      ->add_option("--messages-per-conv", options.messages_per_conv,
                   "messages per conversation id before moving to a fresh one (keep it below "
                   "the tier's bot_max_turns, or conversations escalate)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  closed->add_option("--run-id", options.run_id,
                     "event and conversation id prefix (default: current Unix seconds)");
}

void add_open(CLI::App& app, open_options& options) {
  auto* open = app.add_subcommand(
      "open",
      "fixed arrival rate (Poisson): latency as customers see it, whatever the router does");
  add_common_flags(*open, options.common);
  open->add_option("--rate", options.rate, "customer messages per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  open->add_option("--conversations", options.conversations,
                   "conversations under way at once; arrivals go to them in turn")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  open->add_option("--connections", options.connections, "gateway connections, used round-robin")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_duration(*open, "--duration", options.duration, "length of the measured window");
  add_duration(*open, "--warmup", options.warmup, "load before the window, not counted");
  open->add_option("--messages-per-conv", options.messages_per_conv,
                   "messages per conversation id before moving to a fresh one")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  open->add_option("--escalate", options.escalate_share,
                   "share of new conversations that ask for a human (0-1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  open->add_option("--agents", options.agents,
                   "agent connections that accept every offer and resolve at once")
      ->check(CLI::Range(0, 999))
      ->capture_default_str();
  open->add_option("--capacity", options.capacity, "concurrent conversations per agent")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  open->add_option("--seed", options.seed, "seed of arrival times and escalations")
      ->capture_default_str();
  open->add_option("--run-id", options.run_id,
                   "event and conversation id prefix (default: current Unix seconds)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"blendroute-load: load generator and replayer for the blendroute router"};
  app.require_subcommand(1);

  replay_options replay;
  add_replay(app, replay);
  closed_options closed;
  add_closed(app, closed);
  open_options open;
  add_open(app, open);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  if (app.got_subcommand("replay")) {
    return blendroute::load::run_replay(replay, std::cout, std::cerr);
  }
  if (app.got_subcommand("closed")) {
    return blendroute::load::run_closed(closed, std::cout, std::cerr);
  }
  if (app.got_subcommand("open")) {
    if (open.escalate_share > 0 && open.agents == 0) {
      std::cerr << "blendroute-load open: --escalate needs --agents to take the conversations\n";
      return 2;
    }
    return blendroute::load::run_open(open, std::cout, std::cerr);
  }
  return 1;
}
