// blendroute: the command line of the router (serve, check-config, journal, staffing).
#include <cstdio>
#include <string>
#include <vector>

#include "app/config_file.hpp"
#include "app/journal_tools.hpp"
#include "app/server.hpp"
#include "app/spdlog_sink.hpp"
#include "app/staffing_tool.hpp"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  using namespace blendroute;

  CLI::App cli{"blendroute: the router between chat gateways, the bot and human agents"};
  std::string config_path = "conf/blendroute.toml";
  std::vector<std::string> overrides;
  std::string log_level_name = "info";
  double sla_speed = 1.0;
  app::serve_options serve_options;
  cli.add_option("-c,--config", config_path, "configuration file (TOML)");
  cli.add_option("--set", overrides, "override a key: --set journal.sync=none (repeatable)");
  cli.add_option("--log-level", log_level_name, "trace, debug, info, warn or error");
  cli.add_option("--sla-speed", sla_speed,
                 "divide every SLA duration by this factor (for replays sped up as much)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--port-file", serve_options.port_file,
                 "write the bound TCP and HTTP ports (one a line) to this file once listening");

  auto* check = cli.add_subcommand("check-config", "validate a configuration file and exit");
  std::string check_path;
  check->add_option("file", check_path, "the file to check")->required();

  auto* journal_cmd = cli.add_subcommand("journal", "offline journal tools");
  auto* inspect =
      journal_cmd->add_subcommand("inspect", "print the history of one or more conversations");
  std::vector<std::string> inspect_convs;
  inspect->add_option("conv", inspect_convs, "conversation ids")->required();
  auto* verify = journal_cmd->add_subcommand(
      "verify", "check that every conversation's journal applies in order; exit 1 on a problem");
  app::verify_options verify_options;
  verify
      ->add_option("--timers-fired-by", verify_options.timers_fired_by_ms,
                   "Unix ms: a timer due before it that has not fired is a problem (a "
                   "deadline missed while the server ran)")
      ->check(CLI::NonNegativeNumber);
  journal_cmd->require_subcommand(1);

  auto* staffing = cli.add_subcommand(
      "staffing", "agents a tier needs to answer its escalations in time (Erlang C)");
  app::staffing_options staffing_options;
  staffing->add_option("--tier", staffing_options.tier, "the tier")->required();
  staffing
      ->add_option("--arrivals-per-hour", staffing_options.arrivals_per_hour,
                   "escalations an hour (default: from --from)")
      ->check(CLI::PositiveNumber);
  staffing->add_option("--handle-time", staffing_options.handle_time,
                       "average handle time, e.g. 6m (default: from --from)");
  staffing->add_option("--answer-within", staffing_options.answer_within,
                       "the answer target (default: the tier's human_response)");
  staffing->add_option("--service-level", staffing_options.service_level,
                       "share to answer within the target (default 0.8)");
  staffing
      ->add_option("--concurrency", staffing_options.concurrency,
                   "conversations an agent carries at once (default 1)")
      ->check(CLI::PositiveNumber);
  staffing->add_option("--shrinkage", staffing_options.shrinkage,
                       "share of scheduled time off conversations (default 0)");
  staffing->add_option("--from", staffing_options.from,
                       "host:port of a running router's HTTP API, for the live figures");
  staffing->add_option("--token", staffing_options.token,
                       "supervisor token for --from (default: auth.supervisor)");

  CLI11_PARSE(cli, argc, argv);

  auto level = app::parse_log_level(log_level_name);
  if (!level) {
    std::fprintf(stderr, "blendroute: unknown log level \"%s\"\n", log_level_name.c_str());
    return 2;
  }

  if (check->parsed()) {
    auto cfg = app::load_config(check_path, overrides);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.err().message.c_str());
      return 1;
    }
    auto bot = app::load_faq_bot(cfg->bot.rules_file);
    if (!bot) {
      std::fprintf(stderr, "%s\n", bot.err().message.c_str());
      return 1;
    }
    std::printf("%s: ok (%zu tiers, %zu bot rules)\n", check_path.c_str(), cfg->tiers.size(),
                bot->rule_count());
    return 0;
  }

  auto cfg = app::load_config(config_path, overrides);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.err().message.c_str());
    return 2;
  }
  if (sla_speed != 1.0) {
    scale_slas(*cfg, sla_speed);
    // Scaling can turn a short duration into 0 ms; the scaled configuration must hold too.
    if (auto problems = validate(*cfg); !problems.empty()) {
      for (const auto& p : problems) {
        std::fprintf(stderr, "--sla-speed %g: %s: %s\n", sla_speed, p.key.c_str(),
                     p.message.c_str());
      }
      return 2;
    }
  }
  app::spdlog_sink log(*level);

  if (inspect->parsed()) {
    return app::inspect_conversations(*cfg, inspect_convs);
  }
  if (verify->parsed()) {
    return app::verify_journal(*cfg, verify_options);
  }
  if (staffing->parsed()) {
    return app::run_staffing(*cfg, staffing_options);
  }
  serve_options.reload_config = [config_path, overrides, sla_speed]() -> result<config> {
    auto next = app::load_config(config_path, overrides);
    if (next && sla_speed != 1.0) {
      scale_slas(*next, sla_speed);
      if (auto problems = validate(*next); !problems.empty()) {
        return error{errc::config_invalid, "--sla-speed " + std::to_string(sla_speed) + ": "
                                               + problems.front().key + ": "
                                               + problems.front().message};
      }
    }
    return next;
  };
  return app::serve(*cfg, serve_options, log);
}
