// Connection limits of the real server: how many, how idle, how slow a reader may be.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
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

class LimitsTest : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  /// Polls `GET /metrics` for up to 10 s until `name` reaches `at_least`.
  double wait_for_metric(const std::string& name, double at_least) {
    double value = -1;
    for (int round = 0; round < 100; ++round) {
      value = metric_value(server_.http_port(), name);
      if (value >= at_least) {
        break;
      }
      std::this_thread::sleep_for(milliseconds{100});
    }
    return value;
  }

  server_process server_;
};

TEST_F(LimitsTest, AConnectionOverTheLimitIsRefusedWithUnavailableUntilOneCloses) {
  ASSERT_TRUE(server_.start({"--set", "listen.max_connections=2"})) << server_.log();
  auto first = std::make_unique<wire_client>();
  wire_client second;
  ASSERT_TRUE(first->connect(server_.port()));
  ASSERT_TRUE(first->hello("gateway", "gateway-dev-token"));
  ASSERT_TRUE(second.connect(server_.port()));
  ASSERT_TRUE(second.hello("gateway", "gateway-dev-token"));

  wire_client third;
  ASSERT_TRUE(third.connect(server_.port()));
  auto refused = third.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(refused.has_value()) << "the third connection got no answer";
  EXPECT_EQ(refused->get("status"), "rejected");
  EXPECT_EQ(refused->get("error.code"), "unavailable") << refused->raw;
  third.pump(milliseconds{500});
  EXPECT_TRUE(third.closed());
  EXPECT_EQ(
      metric_value(server_.http_port(), R"(blendroute_connections_refused_total{listener="tcp"})"),
      1);

  // Once a connection closes, its place is free again.
  first.reset();
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    wire_client again;
    ASSERT_TRUE(again.connect(server_.port()));
    admitted = again.hello("gateway", "gateway-dev-token").has_value();
    if (!admitted) {
      std::this_thread::sleep_for(milliseconds{50});
    }
  }
  EXPECT_TRUE(admitted);
}

TEST_F(LimitsTest, AnHttpConnectionOverTheLimitIsAnswered503) {
  ASSERT_TRUE(server_.start({"--set", "listen.max_connections=1"})) << server_.log();
  // One connection holds the only place, idle between requests.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_.http_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::this_thread::sleep_for(milliseconds{200});

  const std::string response =
      http_exchange(server_.http_port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(response), 503) << response;
  EXPECT_NE(response.find("max_connections"), std::string::npos) << response;
  ::close(held);
}

TEST_F(LimitsTest, ASessionThatSendsNothingForTheIdleTimeoutIsClosed) {
  ASSERT_TRUE(server_.start({"--set", "listen.idle_timeout=400ms"})) << server_.log();
  wire_client quiet;
  wire_client talking;
  ASSERT_TRUE(quiet.connect(server_.port()));
  ASSERT_TRUE(quiet.hello("supervisor", "supervisor-dev-token"));
  ASSERT_TRUE(talking.connect(server_.port()));
  ASSERT_TRUE(talking.hello("gateway", "gateway-dev-token"));

  // Every 150 ms the talking session sends a frame; the quiet one sends nothing.
  for (int i = 0; i < 8; ++i) {
    talking.send_line(R"({"type":"customer.left","id":"keep-)" + std::to_string(i)
                      + R"(","conv":"none"})");
    ASSERT_TRUE(talking.ack("keep-" + std::to_string(i)));
    std::this_thread::sleep_for(milliseconds{150});
  }
  quiet.pump(milliseconds{300});
  EXPECT_TRUE(quiet.closed()) << "the quiet session is still open after 1.2 s";
  EXPECT_FALSE(talking.closed());
  EXPECT_GE(wait_for_metric("blendroute_idle_sessions_closed_total", 1), 1);
}

TEST_F(LimitsTest, AReceiverThatDoesNotReadIsDisconnectedInsteadOfGrowingMemory) {
  ASSERT_TRUE(server_.start({"--set", "listen.max_send_queue_bytes=65536"})) << server_.log();
  // A supervisor that says hello, then never reads: every conversation's state changes are
  // sent to it. A small receive buffer makes the server's queue fill sooner.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string hello = R"({"type":"hello","role":"supervisor","token":"supervisor-dev-token"})"
                            "\n";
  ASSERT_EQ(::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(hello.size()));
  std::this_thread::sleep_for(milliseconds{200});

  // Thousands of conversations open and escalate: several state frames each.
  for (int batch = 0;
       batch < 10
       && metric_value(server_.http_port(), "blendroute_slow_consumers_disconnected_total") < 1;
       ++batch) {
    std::string body;
    for (int i = 0; i < 2000; ++i) {
      const std::string n = std::to_string(batch) + "-" + std::to_string(i);
      body += R"({"type":"customer.message","id":"slow-)" + n + R"(","conv":"slow-)" + n
              + R"(","text":"fraud on my card, please help with this charge"})" + "\n";
    }
    const std::string response =
        post(server_.http_port(), "gateway-dev-token", "application/x-ndjson", body);
    ASSERT_EQ(status_of(response), 200) << response.substr(0, 300);
  }
  EXPECT_GE(wait_for_metric("blendroute_slow_consumers_disconnected_total", 1), 1);
  // The server goes on serving everyone else.
  EXPECT_EQ(
      status_of(http_exchange(server_.http_port(),
                              "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
      200);
  ::close(fd);
}

}  // namespace
}  // namespace blendroute::testing
