// A full disk under the real server (DESIGN.md §6, "Disk faults"): injected below RocksDB by
// a preloaded library that fails file writes with ENOSPC, as a full file system does.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

class DiskFaultTest : public ::testing::Test {
protected:
  void SetUp() override {
#ifndef BLENDROUTE_DISK_FULL_SHIM_PATH
    GTEST_SKIP() << "sanitizer build: the disk-full library cannot be preloaded before the "
                    "sanitizer's runtime";
#endif
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
    std::error_code ignored;
    std::filesystem::remove(disk_full_flag_, ignored);
  }

  void fill_disk() {
    std::ofstream{disk_full_flag_};
  }

  void free_disk() {
    std::filesystem::remove(disk_full_flag_);
  }

  /// Sends a customer message and returns its ack's status (`ok`, or `rejected:<code>`).
  std::string send(wire_client& gateway, const std::string& conv, const std::string& id) {
    gateway.send_line(R"({"type":"customer.message","id":")" + id + R"(","conv":")" + conv
                      + R"(","text":"my card was charged twice"})");
    auto ack = gateway.ack(id);
    if (!ack) {
      return "no ack";
    }
    const std::string status = ack->get("status");
    return status == "rejected" ? status + ":" + ack->get("error.code") : status;
  }

  server_process server_;
  const std::string disk_full_flag_ = (std::filesystem::temp_directory_path()
                                       / ("blendroute-disk-full-" + std::to_string(getpid())))
                                          .string();
};

TEST_F(DiskFaultTest, AFullDiskRefusesEventsAsUnavailableKeepsEveryAckedOneAndHealsWithSpace) {
#ifdef BLENDROUTE_DISK_FULL_SHIM_PATH
  server_.use_environment({{"LD_PRELOAD", BLENDROUTE_DISK_FULL_SHIM_PATH},
                           {"BLENDROUTE_TEST_DISK_FULL", disk_full_flag_}});
#endif
  ASSERT_TRUE(server_.start({"--set", "journal.sync=batch"})) << server_.log();
  wire_client gateway;
  ASSERT_TRUE(gateway.connect(server_.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));

  std::vector<std::pair<std::string, std::string>> acked;  // (conversation, id)
  std::vector<std::pair<std::string, std::string>> refused;
  for (int i = 0; i < 6; ++i) {
    const std::string conv = "disk-" + std::to_string(i % 3);
    const std::string id = "before-" + std::to_string(i);
    ASSERT_EQ(send(gateway, conv, id), "ok");
    acked.emplace_back(conv, id);
  }
  gateway.pump(milliseconds{300});  // The bot's replies are journaled too.

  fill_disk();
  for (int i = 0; i < 6; ++i) {
    const std::string conv = "disk-" + std::to_string(i % 3);
    const std::string id = "during-" + std::to_string(i);
    EXPECT_EQ(send(gateway, conv, id), "rejected:unavailable") << id;
    refused.emplace_back(conv, id);
  }
  EXPECT_EQ(
      status_of(http_exchange(server_.http_port(), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")),
      503);
  EXPECT_EQ(
      status_of(http_exchange(server_.http_port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")),
      200)
      << "the server must keep running on a full disk";

  // Space returns: within a bounded time events are acked again.
  free_disk();
  bool healed = false;
  for (int attempt = 0; attempt < 150 && !healed; ++attempt) {
    const std::string id = "after-" + std::to_string(attempt);
    const std::string status = send(gateway, "disk-0", id);
    healed = status == "ok";
    (healed ? acked : refused).emplace_back("disk-0", id);
    ASSERT_TRUE(healed || status == "rejected:unavailable") << status;
    if (!healed) {
      std::this_thread::sleep_for(milliseconds{200});
    }
  }
  ASSERT_TRUE(healed) << "no event was acked within 30 s of the disk having room again";
  // A refused event was not written, so its retry is new, not a duplicate.
  ASSERT_EQ(send(gateway, "disk-1", "during-1"), "ok");
  acked.emplace_back("disk-1", "during-1");
  std::erase(refused, std::pair<std::string, std::string>{"disk-1", "during-1"});
  EXPECT_EQ(
      status_of(http_exchange(server_.http_port(), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")),
      200);

  // After a crash the journal holds every acked event, none refused, and is consistent.
  server_.kill_now();
  std::string verified;
  EXPECT_EQ(server_.run_tool({"journal", "verify"}, verified), 0) << verified;
  std::set<std::string> conversations;
  for (const auto& [conv, id] : acked) {
    conversations.insert(conv);
  }
  for (const std::string& conv : conversations) {
    std::string history;
    ASSERT_EQ(server_.run_tool({"journal", "inspect", conv}, history), 0) << history;
    for (const auto& [acked_conv, id] : acked) {
      if (acked_conv == conv) {
        EXPECT_NE(history.find("\"id\":\"" + id + "\""), std::string::npos)
            << id << " was acked but is not in the journal:\n"
            << history;
      }
    }
    for (const auto& [refused_conv, id] : refused) {
      if (refused_conv == conv) {
        EXPECT_EQ(history.find("\"id\":\"" + id + "\""), std::string::npos)
            << id << " was refused but is in the journal";
      }
    }
  }
}

}  // namespace
}  // namespace blendroute::testing
