// The webhook and Rasa bot connectors of the real server, against a small HTTP bot run by
// the test: signed requests, a retry with the same delivery id, the reply taken from the
// response, and a Rasa custom payload that hands over to a human.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
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

/// The certificate and key an HTTPS bot serves.
struct tls_files {
  std::string certificate;
  std::string key;
};

/// A bot over HTTP (or HTTPS, with `tls`) on 127.0.0.1: answers each request with what
/// `answer` returns (status, body), given how many requests came before. Bounded: each
/// connection is served within 2 s.
class http_bot {
public:
  using answerer = std::function<std::pair<int, std::string>(const bot_request&, int seen)>;

  explicit http_bot(answerer answer, std::optional<tls_files> tls = std::nullopt)
      : answer_(std::move(answer)) {
    if (tls) {
      tls_ = SSL_CTX_new(TLS_server_method());
      if (SSL_CTX_use_certificate_chain_file(tls_, tls->certificate.c_str()) != 1
          || SSL_CTX_use_PrivateKey_file(tls_, tls->key.c_str(), SSL_FILETYPE_PEM) != 1) {
        ADD_FAILURE() << "the test bot cannot load its certificate";
      }
    }
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
    if (tls_ != nullptr) {
      SSL_CTX_free(tls_);
    }
  }

  /// TLS handshakes that failed: a client that did not trust the certificate.
  int failed_handshakes() const { return failed_handshakes_.load(); }

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
      SSL* ssl = nullptr;
      if (tls_ != nullptr) {
        // Blocking, bounded by the socket timeouts.
        timeval two_seconds{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof(two_seconds));
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof(two_seconds));
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
          ++failed_handshakes_;
          SSL_free(ssl);
          ::close(fd);
          continue;
        }
      }
      handle(fd, ssl);
      if (ssl != nullptr) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      ::close(fd);
    }
  }

  void handle(int fd, SSL* ssl) {
    std::string data;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      char chunk[8192];
      ssize_t n = 0;
      if (ssl != nullptr) {
        n = SSL_read(ssl, chunk, sizeof(chunk));
      } else {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 50) <= 0) {
          continue;
        }
        n = ::recv(fd, chunk, sizeof(chunk), 0);
      }
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
    if (ssl != nullptr) {
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
    } else {
      ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    }
  }

  answerer answer_;
  SSL_CTX* tls_ = nullptr;
  std::atomic<int> failed_handshakes_{0};
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

/// A certificate for 127.0.0.1 made for the test, in a directory removed afterwards.
class certificate_dir {
public:
  certificate_dir() {
    char pattern[] = "/tmp/blendroute-webhook-tls-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) {
      dir_ = pattern;
    }
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
        + dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    made_ = !dir_.empty() && std::system(command.c_str()) == 0;
  }

  ~certificate_dir() { std::filesystem::remove_all(dir_); }

  bool made() const { return made_; }

  tls_files files() const { return {dir_ + "/cert.pem", dir_ + "/key.pem"}; }

private:
  std::string dir_;
  bool made_ = false;
};

TEST_F(BotWebhookTest, AnHttpsWebhookIsVerifiedAgainstTheConfiguredAuthorityAndAnswers) {
  certificate_dir certificate;
  ASSERT_TRUE(certificate.made()) << "openssl could not make a certificate";
  http_bot bot(
      [](const bot_request&, int) -> std::pair<int, std::string> {
        return {200, R"({"text":"Hello over TLS","outcome":"continue"})"};
      },
      certificate.files());
  ASSERT_TRUE(
      server_.start({"--set", "bot.connector=webhook", "--set",
                     "bot.webhook_url=https://127.0.0.1:" + std::to_string(bot.port()) + "/bot",
                     "--set", "bot.webhook_ca_file=" + certificate.files().certificate, "--set",
                     "bot.webhook_secret=s3cret"}))
      << server_.log();
  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"tls-1","conv":"tls-c1","text":"hello"})");
  ASSERT_TRUE(gateway.ack("tls-1"));
  auto reply = gateway.wait_for(
      [](const frame& f) {
        return f.get("type") == "customer.deliver" && f.get("conv") == "tls-c1";
      },
      milliseconds{10000});
  ASSERT_TRUE(reply.has_value()) << "no reply from the HTTPS bot";
  EXPECT_EQ(reply->get("text"), "Hello over TLS");
  const auto requests = bot.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("x-blendroute-signature"),
            "sha256=" + hmac_hex("s3cret", requests[0].body));
}

TEST_F(BotWebhookTest, AnHttpsWebhookWhoseCertificateNoAuthoritySignedGetsNoRequest) {
  certificate_dir certificate;
  ASSERT_TRUE(certificate.made()) << "openssl could not make a certificate";
  http_bot bot(
      [](const bot_request&, int) -> std::pair<int, std::string> {
        return {200, R"({"text":"should never be asked","outcome":"continue"})"};
      },
      certificate.files());
  // The system's authorities only: the test's own certificate is not among them.
  ASSERT_TRUE(
      server_.start({"--set", "bot.connector=webhook", "--set",
                     "bot.webhook_url=https://127.0.0.1:" + std::to_string(bot.port()) + "/bot",
                     "--set", "bot.webhook_retries=0", "--set", "bot.webhook_timeout=2s"}))
      << server_.log();
  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"tls-2","conv":"tls-c2","text":"hello"})");
  ASSERT_TRUE(gateway.ack("tls-2"));
  // Bounded: 100 polls of 50 ms.
  for (int i = 0; i < 100 && server_.log().find("bot_webhook_failed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds{50});
  }
  EXPECT_NE(server_.log().find("tls handshake"), std::string::npos) << server_.log();
  EXPECT_GE(bot.failed_handshakes(), 1);
  EXPECT_TRUE(bot.requests().empty()) << "a request reached a server that was not trusted";
}

TEST_F(BotWebhookTest, AnUnreadableAuthorityFileStopsTheStart) {
  ASSERT_FALSE(server_.start({"--set", "bot.connector=webhook", "--set",
                              "bot.webhook_url=https://127.0.0.1:1/bot", "--set",
                              "bot.webhook_ca_file=/nonexistent/ca.pem"}));
  EXPECT_NE(server_.log().find("bot.webhook_ca_file"), std::string::npos) << server_.log();
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
