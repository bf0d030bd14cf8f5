// The webhook and Rasa bot connectors of the real server, against a small HTTP bot run by
// the test: signed requests, a retry with the same delivery id, the reply taken from the
// response, and a Rasa custom payload that hands over to a human.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

/// One request the bot received.
struct bot_request {
  std::string headers;  ///< Lowercased, as received.
  std::string body;

  std::string header(const std::string& name) const {
    const auto at = headers.find(name + ": ");
    if (at == std::string::npos) {
      return {};
    }
    const auto end = headers.find("\r\n", at);
    return headers.substr(at + name.size() + 2, end - at - name.size() - 2);
  }
};

/// A bot over HTTP on 127.0.0.1: answers each request with what `answer` returns (status,
/// body), given how many requests came before. Bounded: each connection is served within 2 s.
class http_bot {
public:
  using answerer = std::function<std::pair<int, std::string>(const bot_request&, int seen)>;

  explicit http_bot(answerer answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listener_, 16);
    socklen_t length = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~http_bot() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }

  std::vector<bot_request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  /// Waits (bounded) until `count` requests have come.
  bool wait_for_requests(std::size_t count) {
    for (int round = 0; round < 200; ++round) {
      if (requests().size() >= count) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds{25});
    }
    return false;
  }

private:
  void serve() {
    while (!stopping_) {
      pollfd pfd{listener_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) {
        continue;
      }
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      handle(fd);
      ::close(fd);
    }
  }

  void handle(int fd) {
    std::string data;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) {
        continue;
      }
      char chunk[8192];
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return;
      }
      data.append(chunk, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string lowered = data.substr(0, header_end);
          for (char& c : lowered) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          }
          const auto at = lowered.find("content-length: ");
          content_length = at == std::string::npos ? 0 : std::stoul(lowered.substr(at + 16));
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) {
        break;
      }
    }
    if (header_end == std::string::npos) {
      return;
    }
    bot_request request;
    request.headers = data.substr(0, header_end + 2);
    for (char& c : request.headers) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    request.body = data.substr(header_end + 4, content_length);
    int seen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen = static_cast<int>(requests_.size());
      requests_.push_back(request);
    }
    const auto [status, body] = answer_(request, seen);
    const std::string response =
        "HTTP/1.1 " + std::to_string(status)
        + " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size())
        + "\r\nConnection: close\r\n\r\n" + body;
    ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
  }

  answerer answer_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<bot_request> requests_;
};

std::string hmac_hex(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::string out;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", digest[i]);
    out += byte;
  }
  return out;
}

class BotWebhookTest : public ::testing::Test {
protected:
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  void connect(wire_client& client, const std::string& role) {
    ASSERT_TRUE(client.connect(server_.port()));
    ASSERT_TRUE(client.hello(role, role + "-dev-token"));
  }

  server_process server_;
};

TEST_F(BotWebhookTest, ASignedRequestIsRetriedWithTheSameDeliveryAndItsResponseIsTheReply) {
  http_bot bot([](const bot_request&, int seen) -> std::pair<int, std::string> {
    if (seen == 0) {
      return {500, R"({"error":"warming up"})"};
    }
    return {200, R"({"text":"Hello from the webhook bot","outcome":"continue","intent":"greet"})"};
  });
  ASSERT_TRUE(
      server_.start({"--set", "bot.connector=webhook", "--set",
                     "bot.webhook_url=http://127.0.0.1:" + std::to_string(bot.port()) + "/bot",
                     "--set", "bot.webhook_secret=s3cret", "--set", "bot.webhook_timeout=2s"}))
      << server_.log();
  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"wh-1","conv":"wh-c1","text":"hello"})");
  ASSERT_TRUE(gateway.ack("wh-1"));

  auto reply = gateway.wait_for(
      [](const frame& f) {
        return f.get("type") == "customer.deliver" && f.get("conv") == "wh-c1";
      },
      milliseconds{10000});
  ASSERT_TRUE(reply.has_value()) << "no reply from the webhook bot";
  EXPECT_EQ(reply->get("text"), "Hello from the webhook bot");
  EXPECT_EQ(reply->get("from"), "bot");

  const auto requests = bot.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("x-blendroute-delivery"),
            requests[1].header("x-blendroute-delivery"))
      << "the retry carries the same delivery id";
  EXPECT_FALSE(requests[0].header("x-blendroute-delivery").empty());
  for (const auto& request : requests) {
    EXPECT_EQ(request.header("x-blendroute-signature"),
              "sha256=" + hmac_hex("s3cret", request.body));
    EXPECT_NE(request.body.find(R"("type":"bot.request")"), std::string::npos) << request.body;
    EXPECT_NE(request.body.find(R"("conv":"wh-c1")"), std::string::npos) << request.body;
  }
  // Answered once: no third request after the reply.
  std::this_thread::sleep_for(milliseconds{1500});
  EXPECT_EQ(bot.requests().size(), 2u);
}

TEST_F(BotWebhookTest, ARasaCustomPayloadHandsTheConversationToAHuman) {
  http_bot bot([](const bot_request&, int) -> std::pair<int, std::string> {
    return {200, R"([{"recipient_id":"ra-c1","text":"Let me find someone who can help."},)"
                 R"({"recipient_id":"ra-c1","custom":{"handoff":true,"intent":"card_stolen"}}])"};
  });
  ASSERT_TRUE(server_.start({"--set", "bot.connector=rasa", "--set",
                             "bot.webhook_url=http://127.0.0.1:" + std::to_string(bot.port())
                                 + "/webhooks/rest/webhook"}))
      << server_.log();
  wire_client gateway, supervisor;
  connect(gateway, "gateway");
  connect(supervisor, "supervisor");
  gateway.send_line(
      R"({"type":"customer.message","id":"ra-1","conv":"ra-c1","text":"someone stole my card"})");
  ASSERT_TRUE(gateway.ack("ra-1"));

  auto queued = supervisor.wait_for(
      [](const frame& f) {
        return f.get("type") == "conversation.state" && f.get("conv") == "ra-c1"
               && f.get("state") == "queued";
      },
      milliseconds{10000});
  ASSERT_TRUE(queued.has_value()) << "the handoff did not queue the conversation";
  EXPECT_EQ(queued->get("reason"), "bot_handoff");
  auto told = gateway.wait_for([](const frame& f) {
    return f.get("type") == "customer.deliver" && f.get("conv") == "ra-c1";
  });
  ASSERT_TRUE(told.has_value());
  EXPECT_EQ(told->get("text"), "Let me find someone who can help.");

  ASSERT_TRUE(bot.wait_for_requests(1));
  const auto request = bot.requests().front();
  EXPECT_EQ(request.headers.substr(0, 36), "post /webhooks/rest/webhook http/1.1");
  EXPECT_NE(request.body.find(R"("sender":"ra-c1")"), std::string::npos) << request.body;
  EXPECT_NE(request.body.find(R"("message":"someone stole my card")"), std::string::npos)
      << request.body;
}

}  // namespace
}  // namespace blendroute::testing
