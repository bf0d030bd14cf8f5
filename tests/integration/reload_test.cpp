// SIGHUP reload of the real server: new SLAs for what comes next, restart-only keys reported,
// a broken file refused while the server goes on.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/command.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

class ReloadTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/blendroute-reload-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    config_path_ = dir_ + "/blendroute.toml";
    original_ = read_file(BLENDROUTE_SOURCE_DIR "/conf/blendroute.toml");
    std::ofstream(config_path_) << original_;
    server_.use_config(config_path_);
    ASSERT_TRUE(server_.start()) << server_.log();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
    server_.stop();
    std::filesystem::remove_all(dir_);
  }

  /// Rewrites the configuration file with `from` replaced by `to` (first occurrence).
  void edit(const std::string& from, const std::string& to) {
    std::string text = original_;
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(config_path_) << text;
  }

  /// Sends SIGHUP and waits (bounded) for the `count`-th line holding `marker` in the log.
  bool reload_and_wait_for(const std::string& marker, int count = 1) {
    server_.signal(SIGHUP);
    for (int round = 0; round < 100; ++round) {
      const std::string log = server_.log();
      int seen = 0;
      for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
        ++seen;
      }
      if (seen >= count) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds{50});
    }
    return false;
  }

  void connect(wire_client& client, const std::string& role, const std::string& agent = {}) {
    ASSERT_TRUE(client.connect(server_.port()));
    ASSERT_TRUE(client.hello(role, role + "-dev-token", agent));
  }

  std::string dir_;
  std::string config_path_;
  std::string original_;
  server_process server_;
};

TEST_F(ReloadTest, ANewOfferAcceptSlaAppliesToOffersMadeAfterTheReload) {
  wire_client agent, gateway, supervisor;
  connect(agent, "agent", "rl-agent");
  connect(gateway, "gateway");
  connect(supervisor, "supervisor");
  agent.send_line(
      R"({"type":"agent.status","id":"rl-s","agent":"rl-agent","status":"available","capacity":5})");
  ASSERT_TRUE(agent.ack("rl-s"));

  // Offered under the file's 15 s: not breached for now.
  gateway.send_line(
      R"({"type":"customer.message","id":"rl-m1","conv":"rl-before","text":"fraud on my card"})");
  ASSERT_TRUE(gateway.ack("rl-m1"));
  ASSERT_TRUE(agent.wait_for([](const frame& f) {
    return f.get("type") == "agent.offer" && f.get("conv") == "rl-before";
  }));

  edit(R"(offer_accept = "15s")", R"(offer_accept = "300ms")");
  ASSERT_TRUE(reload_and_wait_for("config_reloaded changed=tiers.standard"));

  gateway.send_line(
      R"({"type":"customer.message","id":"rl-m2","conv":"rl-after","text":"fraud on my card"})");
  ASSERT_TRUE(gateway.ack("rl-m2"));
  auto breach = supervisor.wait_for(
      [](const frame& f) {
        return f.get("type") == "sla.breach" && f.get("sla") == "offer_accept";
      },
      milliseconds{5000});
  ASSERT_TRUE(breach.has_value()) << "no offer_accept breach after the reload";
  EXPECT_EQ(breach->get("conv"), "rl-after")
      << "the offer made before the reload keeps its 15 s deadline";
}

TEST_F(ReloadTest, KeysThatNeedARestartAreReportedAndKept) {
  edit("max_frame_bytes = 65536", "max_frame_bytes = 4096");
  ASSERT_TRUE(reload_and_wait_for("reload_needs_restart keys=listen"));
  // The running limit is unchanged: a 10 KB frame is still accepted.
  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"rl-big","conv":"rl-big","text":")"
                    + std::string(10000, 'x') + "\"}");
  auto ack = gateway.ack("rl-big");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->get("status"), "ok") << ack->raw;
}

TEST_F(ReloadTest, ABrokenFileIsRefusedAndTheServerGoesOn) {
  std::ofstream(config_path_) << original_ << "\n[tiers.standard\nbroken = \n";
  ASSERT_TRUE(reload_and_wait_for("reload_failed"));
  // An unknown key is an error like any other, named with its line.
  edit("io_threads = 1", "io_threads = 1\nsurprise = 1");
  ASSERT_TRUE(reload_and_wait_for("listen.surprise"));
  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"rl-ok","conv":"rl-ok","text":"hi"})");
  auto ack = gateway.ack("rl-ok");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->get("status"), "ok");
}

}  // namespace
}  // namespace blendroute::testing
