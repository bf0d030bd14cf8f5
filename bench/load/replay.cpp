// `blendroute-load replay`: plays recorded conversations against a running router.

#include "bench/load/replay.hpp"

#include "bench/load/compare.hpp"
#include "bench/load/plot.hpp"
#include "bench/load/replay_runner.hpp"
#include "bench/load/report.hpp"
#include "bench/load/report_format.hpp"

namespace blendroute::load {

int run_replay(const replay_options& options, std::ostream& out, std::ostream& log) {
  replay_detail::replay_runner runner(options, log);
  const auto report = runner.run();

  print_report(out, report);
  out.flush();
  if (!options.common.plot_prefix.empty()) {
    for (const auto& file : write_plots(options.common.plot_prefix, "blendroute-load replay",
                                        {{"ingress->ack", &report.ingress_ack},
                                         {"message->bot reply", &report.bot_reply},
                                         {"escalation->offer", &report.escalation_offer}},
                                        {}, 0, log)) {
      out << "plot: " << file << "\n";
    }
  }
  const int exit_code = finish_report(report_json(report), report.failures.empty() ? 0 : 1,
                                      options.common.json_path, options.common.compare_path,
                                      options.common.regression_threshold, "load.replay", out, log);

  if (!report.failures.empty()) {
    log << "error load.replay run failed:";
    for (std::size_t i = 0; i < report.failures.size(); ++i) {
      log << (i == 0 ? " " : "; ") << report.failures[i];
    }
    log << std::endl;
  }
  return exit_code;
}

}  // namespace blendroute::load
