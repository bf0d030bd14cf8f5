// `blendroute-load replay`: plays recorded conversations against a running router.

#include "bench/load/replay.hpp"

#include <fstream>

#include "bench/load/replay_runner.hpp"
#include "bench/load/report.hpp"

namespace blendroute::load {

int run_replay(const replay_options& options, std::ostream& out, std::ostream& log) {
  replay_detail::replay_runner runner(options, log);
  const auto report = runner.run();

  print_report(out, report);
  out.flush();
  int exit_code = report.failures.empty() ? 0 : 1;
  if (!options.common.json_path.empty()) {
    std::ofstream json(options.common.json_path, std::ios::binary | std::ios::trunc);
    json << report_json(report);
    json.close();
    if (!json) {
      log << "error load.replay cannot write report file=" << options.common.json_path << std::endl;
      exit_code = 1;
    }
  }

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
