// blendroute-load --compare against a real server: the changes are printed, and a
// regression beyond the threshold is exit code 3.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/command.hpp"
#include "tests/integration/server_process.hpp"

namespace blendroute::testing {
namespace {

class LoadCompareTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/blendroute-compare-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(server_.start()) << server_.log();
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string closed_run(const std::string& extra, const std::string& duration = "1s") const {
    return std::string(BLENDROUTE_LOAD_PATH) + " closed --quiet --addr 127.0.0.1:"
           + std::to_string(server_.port()) + " --conversations 20 --connections 2 --duration "
           + duration + " --warmup 200ms " + extra;
  }

  std::string dir_;
  server_process server_;
};

TEST_F(LoadCompareTest, ARunIsPlottedAndComparedWithASavedOneAndARegressionFailsIt) {
  std::string output;
  const std::string baseline = dir_ + "/baseline.json";
  // Long enough for whole seconds to report per second.
  ASSERT_EQ(
      run_command(closed_run("--json " + baseline + " --plot " + dir_ + "/run", "2500ms"), output),
      0)
      << output;
  std::string saved = read_file(baseline);
  ASSERT_NE(saved.find("\"events_per_second\""), std::string::npos) << saved;
  EXPECT_NE(saved.find("\"acks_per_second\":["), std::string::npos) << saved;
  EXPECT_NE(output.find("per second"), std::string::npos) << output;

  // --plot drew the latency spectrum and the throughput over time.
  const std::string latency = read_file(dir_ + "/run-latency.svg");
  EXPECT_NE(latency.find("<svg"), std::string::npos);
  EXPECT_NE(latency.find("<polyline"), std::string::npos) << "no latency curve";
  EXPECT_NE(latency.find("ingress-&gt;ack"), std::string::npos);
  const std::string throughput = read_file(dir_ + "/run-throughput.svg");
  EXPECT_NE(throughput.find("<rect x="), std::string::npos) << "no throughput bars";

  // Against a baseline a hundred times faster than any run here: a regression.
  const std::string fast = dir_ + "/fast.json";
  const auto at = saved.find("\"events_per_second\":");
  const auto end = saved.find_first_of(",}", at);
  std::string faster = saved;
  faster.replace(at, end - at, "\"events_per_second\":1e9");
  std::ofstream(fast) << faster;
  EXPECT_EQ(run_command(closed_run("--compare " + fast), output), 3) << output;
  EXPECT_NE(output.find("compared with " + fast), std::string::npos) << output;
  EXPECT_NE(output.find("REGRESSION"), std::string::npos) << output;
  EXPECT_NE(output.find("result                       regressed"), std::string::npos) << output;

  // Against a baseline far slower, nothing regressed (latencies too are compared).
  std::string slower = saved;
  slower.replace(at, end - at, "\"events_per_second\":1");
  for (const char* percentile : {"\"p50_ms\":", "\"p99_ms\":", "\"p999_ms\":"}) {
    for (auto p = slower.find(percentile); p != std::string::npos;
         p = slower.find(percentile, p + 1)) {
      const auto value_end = slower.find_first_of(",}", p);
      slower.replace(p, value_end - p, std::string(percentile) + "100000");
    }
  }
  const std::string slow = dir_ + "/slow.json";
  std::ofstream(slow) << slower;
  EXPECT_EQ(run_command(closed_run("--compare " + slow + " --regression-threshold 5%"), output), 0)
      << output;
  EXPECT_NE(output.find("no regression beyond the threshold"), std::string::npos) << output;
  EXPECT_NE(output.find("ingress_ack p99 (ms)"), std::string::npos) << output;

  // Another mode's report is not comparable.
  std::string replay = saved;
  replay.replace(replay.find("\"mode\":\"closed\""), 15, "\"mode\":\"replay\"");
  const std::string other = dir_ + "/other.json";
  std::ofstream(other) << replay;
  EXPECT_EQ(run_command(closed_run("--compare " + other), output), 1) << output;
  EXPECT_NE(output.find("not comparable"), std::string::npos) << output;
}

}  // namespace
}  // namespace blendroute::testing
