// The rollout controller in the real server: control conversations go straight to humans,
// a stage advances through its gate, operators pause, resume and set stages, audited, and
// the stage survives a crash.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

std::string admin_request(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::string& body = {}, const std::string& token = "admin") {
  return http_exchange(port, method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                 "Authorization: Bearer " + token + "-dev-token\r\n"
                                 "Content-Type: application/json\r\nContent-Length: "
                                 + std::to_string(body.size()) + "\r\n\r\n" + body);
}

class RolloutTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/blendroute-rollout-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
    server_.stop();
    std::filesystem::remove_all(dir_);
  }

  /// Starts the server with the repository's configuration and `rollout` (TOML) as its
  /// [rollout] section.
  void start(const std::string& rollout) {
    std::ifstream in(BLENDROUTE_SOURCE_DIR "/conf/blendroute.toml");
    std::stringstream text;
    text << in.rdbuf();
    // The repository's own [rollout] section (the last of the file) gives way to the test's.
    std::string base = text.str();
    base = base.substr(0, base.find("\n[rollout]"));
    std::ofstream(dir_ + "/blendroute.toml") << base << "\n" << rollout;
    server_.use_config(dir_ + "/blendroute.toml");
    ASSERT_TRUE(server_.start()) << server_.log();
  }

  void connect(wire_client& client, const std::string& role) {
    ASSERT_TRUE(client.connect(server_.port()));
    ASSERT_TRUE(client.hello(role, role + "-dev-token"));
  }

  /// The state a supervisor sees `conv` enter first after opening.
  std::string first_state_after_open(wire_client& supervisor, const std::string& conv) {
    std::string after_bot;
    for (int i = 0; i < 4; ++i) {
      auto state = supervisor.wait_for([&](const frame& f) {
        return f.get("type") == "conversation.state" && f.get("conv") == conv;
      });
      if (!state) {
        return {};
      }
      if (state->get("reason") != "opened") {
        return state->get("state") + "/" + state->get("reason");
      }
    }
    return {};
  }

  std::string dir_;
  server_process server_;
};

constexpr const char* control_then_full = R"(
[rollout]
enabled = true
window = "1h"

[[rollout.stage]]
name = "control"
share = 0.0

[[rollout.stage]]
name = "full"
share = 1.0
)";

TEST_F(RolloutTest, TheControlCohortGoesStraightToHumansAndAnOperatorMovesTheStage) {
  start(control_then_full);
  wire_client gateway, supervisor;
  connect(gateway, "gateway");
  connect(supervisor, "supervisor");

  gateway.send_line(
      R"({"type":"customer.message","id":"ro-1","conv":"ro-c1","customer":"u1","text":"weather?"})");
  ASSERT_TRUE(gateway.ack("ro-1"));
  EXPECT_EQ(first_state_after_open(supervisor, "ro-c1"), "queued/rollout_control");

  // Only the admin token may act; an unknown stage is refused by name.
  EXPECT_EQ(status_of(admin_request(server_.http_port(), "POST", "/v1/admin/rollout/stage",
                                    R"({"stage":"full"})", "supervisor")),
            403);
  const std::string unknown = admin_request(server_.http_port(), "POST", "/v1/admin/rollout/stage",
                                            R"({"stage":"everyone"})");
  EXPECT_EQ(status_of(unknown), 400);
  EXPECT_NE(unknown.find("no rollout stage \\\"everyone\\\""), std::string::npos) << unknown;
  const std::string moved =
      admin_request(server_.http_port(), "POST", "/v1/admin/rollout/stage", R"({"stage":"full"})");
  ASSERT_EQ(status_of(moved), 200) << moved;
  EXPECT_NE(moved.find(R"("stage":"full")"), std::string::npos) << moved;

  gateway.send_line(
      R"({"type":"customer.message","id":"ro-2","conv":"ro-c2","customer":"u2","text":"weather?"})");
  ASSERT_TRUE(gateway.ack("ro-2"));
  auto reply = gateway.wait_for([](const frame& f) {
    return f.get("type") == "customer.deliver" && f.get("conv") == "ro-c2";
  });
  ASSERT_TRUE(reply.has_value()) << "the blended conversation got no bot reply";
  EXPECT_EQ(reply->get("from"), "bot");
  EXPECT_NE(server_.log().find("rollout_stage_set stage=full by=admin@127.0.0.1"),
            std::string::npos)
      << "the operator's stage change is audited in the log";
}

TEST_F(RolloutTest, AStageAdvancesWhenItsGatePassesAtTheEndOfAWindow) {
  start(R"(
[rollout]
enabled = true
window = "1s"

[[rollout.stage]]
name = "pilot"
share = 1.0
min_conversations = 2
min_containment = 0.5

[[rollout.stage]]
name = "full"
share = 1.0
)");
  wire_client gateway;
  connect(gateway, "gateway");
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i);
    gateway.send_line(R"({"type":"customer.message","id":"gate-)" + n + R"(","conv":"gate-)" + n
                      + R"(","text":"weather?"})");
    ASSERT_TRUE(gateway.ack("gate-" + n));
  }
  std::string status;
  for (int round = 0; round < 60; ++round) {
    status = admin_request(server_.http_port(), "GET", "/v1/admin/rollout");
    if (status.find(R"("stage":"full")") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(milliseconds{100});
  }
  EXPECT_NE(status.find(R"("stage":"full")"), std::string::npos) << status;
  EXPECT_NE(status.find(R"("event":"advanced")"), std::string::npos) << status;
  EXPECT_NE(server_.log().find("rollout_advanced stage=full by=gate"), std::string::npos);
}

TEST_F(RolloutTest, PauseResumeAndTheStageSurviveACrash) {
  start(control_then_full);
  const auto port = server_.http_port();
  const std::string paused =
      admin_request(port, "POST", "/v1/admin/rollout/pause", R"({"reason":"checking the bot"})");
  ASSERT_EQ(status_of(paused), 200) << paused;
  EXPECT_NE(paused.find(R"("paused":true,"pause_reason":"checking the bot")"), std::string::npos)
      << paused;
  ASSERT_EQ(
      status_of(admin_request(port, "POST", "/v1/admin/rollout/stage", R"({"stage":"full"})")),
      200);
  EXPECT_EQ(status_of(admin_request(port, "GET", "/v1/admin/rollout/pause")), 405);
  // A body is a JSON object, announced as one.
  const std::string as_text =
      http_exchange(port,
                    "POST /v1/admin/rollout/resume HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Authorization: Bearer admin-dev-token\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 2\r\n\r\n{}");
  EXPECT_EQ(status_of(as_text), 415) << as_text;
  // The reason is logged and journaled: no control characters (no forged log lines).
  EXPECT_EQ(status_of(admin_request(port, "POST", "/v1/admin/rollout/pause",
                                    R"({"reason":"a\nforged line"})")),
            400);

  // The decisions are journaled before the crash; the restart reads the last one back.
  std::this_thread::sleep_for(milliseconds{200});
  server_.kill_now();
  ASSERT_TRUE(server_.start()) << server_.log();
  const std::string restored = admin_request(server_.http_port(), "GET", "/v1/admin/rollout");
  EXPECT_NE(restored.find(R"("stage":"full")"), std::string::npos) << restored;
  EXPECT_NE(restored.find(R"("paused":true)"), std::string::npos) << restored;

  const std::string resumed =
      admin_request(server_.http_port(), "POST", "/v1/admin/rollout/resume");
  ASSERT_EQ(status_of(resumed), 200) << resumed;
  EXPECT_NE(resumed.find(R"("paused":false)"), std::string::npos) << resumed;
}

}  // namespace
}  // namespace blendroute::testing
