// The report of blendroute-load replay, as printed for people.

#include "bench/load/report.hpp"

#include <chrono>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace blendroute::load {
namespace {

using namespace std::chrono_literals;

// The line of `out` that starts with the label `name`.
std::string line_of(const std::string& out, const std::string& name) {
  const auto at = out.find("  " + name + " ");
  if (at == std::string::npos) {
    return {};
  }
  return out.substr(at, out.find('\n', at) - at);
}

TEST(ReplayReport, EveryLatencyShowsTheSamePercentilesAsTheJson) {
  replay_report report;
  report.started = true;
  report.ingress_ack.record(1ms);
  report.bot_reply.record(2ms);
  report.escalation_offer.record(3ms);
  std::ostringstream out;
  print_report(out, report);

  for (const char* name : {"ingress->ack", "message->bot reply", "escalation->offer"}) {
    const std::string line = line_of(out.str(), name);
    ASSERT_FALSE(line.empty()) << name << "\n" << out.str();
    for (const char* figure : {"p50 ", "p90 ", "p99 ", "p99.9 ", "max "}) {
      EXPECT_NE(line.find(figure), std::string::npos) << figure << " missing: " << line;
    }
  }
}

}  // namespace
}  // namespace blendroute::load
