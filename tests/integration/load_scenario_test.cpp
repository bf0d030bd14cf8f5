// blendroute-load closed and open against a real server, with the contact center around the
// router played by the tool: its bots, agents and supervisor, a tier mix and message sizes,
// and the server's counters checked against what the tool saw.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/integration/command.hpp"
#include "tests/integration/server_process.hpp"

namespace blendroute::testing {
namespace {

class LoadScenarioTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/blendroute-scenario-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(server_.start()) << server_.log();
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string load(const std::string& mode, const std::string& extra) const {
    return std::string(BLENDROUTE_LOAD_PATH) + " " + mode + " --quiet --addr 127.0.0.1:"
           + std::to_string(server_.port()) + " --http-addr 127.0.0.1:"
           + std::to_string(server_.http_port()) + " --timeout 60s " + extra;
  }

  std::string dir_;
  server_process server_;
};

std::uint64_t count_at(simdjson::dom::element report, const char* pointer) {
  std::uint64_t value = 0;
  return report.at_pointer(pointer).get(value) == simdjson::SUCCESS ? value : 0;
}

TEST_F(LoadScenarioTest, TheToolsBotsAgentsAndTierMixRunAndTheServerAgreesWithTheTool) {
  const std::string json = dir_ + "/scenario.json";
  std::string output;
  // A closed loop: an open one fails when a busy machine makes the tool fall behind its
  // schedule, which is not what this test is about.
  ASSERT_EQ(run_command(load("closed",
                             "--conversations 20 --duration 2s --warmup 300ms --bots 2 "
                             "--agents 6 --capacity 20 --escalate 0.2 --think 50ms "
                             "--message-bytes 40-300 "
                             "--tier-mix standard=0.6,priority=0.4 --json "
                                 + json),
                        output),
            0)
      << output;
  EXPECT_NE(output.find("the server's counters agree with the tool"), std::string::npos) << output;
  EXPECT_EQ(output.find("DIFFERS"), std::string::npos) << output;

  simdjson::dom::parser parser;
  simdjson::dom::element report;
  ASSERT_EQ(parser.load(json).get(report), simdjson::SUCCESS);
  bool agrees = false;
  ASSERT_EQ(report.at_pointer("/server_check/agrees").get(agrees), simdjson::SUCCESS) << output;
  EXPECT_TRUE(agrees);
  // The tool's bots answered, so the router-side path to them was measured.
  EXPECT_GT(count_at(report, "/latency/message_to_bot_request/count"), 0u) << output;
  EXPECT_GT(count_at(report, "/latency/reply/count"), 0u) << output;
  EXPECT_GT(count_at(report, "/latency/message_to_offer/count"), 0u) << output;
  // Both tiers of the mix contained conversations and escalated some.
  for (const char* tier : {"standard", "priority"}) {
    const std::string base = std::string("/outcomes/") + tier;
    EXPECT_GT(count_at(report, (base + "/contained").c_str()), 0u) << tier << "\n" << output;
    EXPECT_GT(count_at(report, (base + "/escalated").c_str()), 0u) << tier << "\n" << output;
  }
}

TEST_F(LoadScenarioTest, AClosedLoopWithTheRoutersBotIsCheckedToo) {
  std::string output;
  ASSERT_EQ(run_command(load("closed",
                             "--conversations 20 --connections 2 --duration 1s "
                             "--warmup 200ms --message-bytes 500"),
                        output),
            0)
      << output;
  EXPECT_NE(output.find("message text 500 bytes"), std::string::npos) << output;
  EXPECT_NE(output.find("customer.message acked ok"), std::string::npos) << output;
  EXPECT_EQ(output.find("DIFFERS"), std::string::npos) << output;
  // The embedded bot's replies reached the gateways.
  EXPECT_NE(output.find("reply to customer"), std::string::npos) << output;
}

TEST_F(LoadScenarioTest, MessagesPostedOverHttpAreAckedAndCountedByTheServer) {
  std::string output;
  const std::string json = dir_ + "/http.json";
  ASSERT_EQ(run_command(load("closed",
                             "--transport http --connections 8 --conversations 40 "
                             "--duration 1s --warmup 200ms --json "
                                 + json),
                        output),
            0)
      << output;
  EXPECT_NE(output.find("over 8 HTTP connections (one event a request)"), std::string::npos)
      << output;
  EXPECT_EQ(output.find("DIFFERS"), std::string::npos) << output;
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  ASSERT_EQ(parser.load(json).get(report), simdjson::SUCCESS);
  // One request a message, every one of them acked.
  EXPECT_GT(count_at(report, "/http_requests"), 0u);
  EXPECT_EQ(count_at(report, "/http_requests"), count_at(report, "/messages_sent"));
  // The replies came back over the NDJSON gateway session.
  EXPECT_GT(count_at(report, "/latency/reply/count"), 0u) << output;

  // Batches: several events in one NDJSON body, one ack each.
  ASSERT_EQ(run_command(load("closed",
                             "--transport http --http-batch 50 --connections 2 "
                             "--conversations 100 --duration 1s --warmup 200ms --json "
                                 + json),
                        output),
            0)
      << output;
  ASSERT_EQ(parser.load(json).get(report), simdjson::SUCCESS);
  EXPECT_LT(count_at(report, "/http_requests"), count_at(report, "/messages_sent")) << output;
}

TEST_F(LoadScenarioTest, AnUnreachableHttpAddressSkipsTheCheckButNotTheRun) {
  std::string output;
  const std::string command =
      std::string(BLENDROUTE_LOAD_PATH) + " closed --quiet --addr 127.0.0.1:"
      + std::to_string(server_.port())
      + " --http-addr 127.0.0.1:1 --conversations 5 --connections 1 --duration 500ms "
        "--warmup 100ms";
  ASSERT_EQ(run_command(command, output), 0) << output;
  EXPECT_NE(output.find("server check          not made: GET http://127.0.0.1:1/metrics"),
            std::string::npos)
      << output;
}

TEST_F(LoadScenarioTest, BadScenarioFlagsAreRefusedBeforeAnythingRuns) {
  std::string output;
  EXPECT_NE(run_command(load("open", "--tier-mix standard"), output), 0);
  EXPECT_NE(output.find("tier=weight"), std::string::npos) << output;
  EXPECT_NE(run_command(load("closed", "--message-bytes 0"), output), 0);
  EXPECT_NE(output.find("1 <= MIN <= MAX"), std::string::npos) << output;
  EXPECT_NE(run_command(load("closed", "--escalate 0.5"), output), 0);
  EXPECT_NE(output.find("--escalate needs --agents"), std::string::npos) << output;
  EXPECT_NE(run_command(std::string(BLENDROUTE_LOAD_PATH)
                            + " closed --transport http --http-addr '' --addr 127.0.0.1:1",
                        output),
            0);
  EXPECT_NE(output.find("--transport http needs --http-addr"), std::string::npos) << output;
}

}  // namespace
}  // namespace blendroute::testing
