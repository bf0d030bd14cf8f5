// WebSocket `GET /v1/stream` of the real server: the frames and rules of TCP, one per message.
#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using std::chrono::milliseconds;

/// A WebSocket client whose every operation is bounded in time: each runs the io_context
/// for at most its timeout, then is cancelled.
class ws_client {
public:
  /// Connects to 127.0.0.1:`port` and asks for the upgrade of `target`.
  bool connect(std::uint16_t port, const std::string& target = "/v1/stream") {
    asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().connect(endpoint, ec);
    if (ec) {
      return false;
    }
    return run([&](auto done) { ws_.async_handshake("127.0.0.1", target, done); },
               milliseconds{5000});
  }

  bool send(const std::string& text, bool binary = false) {
    ws_.binary(binary);
    return run([&](auto done) { ws_.async_write(asio::buffer(text), done); }, milliseconds{5000});
  }

  /// The next message, or nullopt when none came in time or the server closed.
  std::optional<std::string> receive(milliseconds timeout = milliseconds{5000}) {
    if (!backlog_.empty()) {
      std::string next = std::move(backlog_.front());
      backlog_.pop_front();
      return next;
    }
    beast::flat_buffer buffer;
    if (!run([&](auto done) { ws_.async_read(buffer, done); }, timeout)) {
      return std::nullopt;
    }
    return beast::buffers_to_string(buffer.data());
  }

  /// The first received frame that `match` accepts; the others wait in the backlog.
  std::optional<frame> wait_for(const std::function<bool(const frame&)>& match,
                                milliseconds timeout = milliseconds{5000}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto it = backlog_.begin(); it != backlog_.end(); ++it) {
      if (auto f = parse_frame(*it); f && match(*f)) {
        backlog_.erase(it);
        return f;
      }
    }
    while (std::chrono::steady_clock::now() < deadline) {
      beast::flat_buffer buffer;
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!run([&](auto done) { ws_.async_read(buffer, done); }, left)) {
        return std::nullopt;
      }
      std::string text = beast::buffers_to_string(buffer.data());
      if (auto f = parse_frame(text); f && match(*f)) {
        return f;
      }
      backlog_.push_back(std::move(text));
    }
    return std::nullopt;
  }

  std::optional<frame> ack(const std::string& id) {
    return wait_for([&](const frame& f) { return f.get("type") == "ack" && f.get("id") == id; });
  }

  /// Whether the server closed the stream within `timeout`, and with what code.
  std::optional<websocket::close_code> closed_by_server(milliseconds timeout) {
    beast::flat_buffer buffer;
    const bool read = run([&](auto done) { ws_.async_read(buffer, done); }, timeout);
    if (read || !last_error_) {
      return std::nullopt;
    }
    if (last_error_ == websocket::error::closed) {
      return static_cast<websocket::close_code>(ws_.reason().code);
    }
    return websocket::close_code::abnormal;  // The socket closed without a close frame.
  }

private:
  template <class Start>
  bool run(Start start, milliseconds timeout) {
    bool finished = false;
    last_error_ = {};
    start([&](beast::error_code ec, auto&&...) {
      finished = true;
      last_error_ = ec;
    });
    io_.restart();
    io_.run_for(timeout);
    if (!finished) {
      beast::get_lowest_layer(ws_).cancel();
      io_.restart();
      io_.run_for(milliseconds{1000});
      last_error_ = {};
      return false;
    }
    return !last_error_;
  }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_{io_};
  std::deque<std::string> backlog_;
  beast::error_code last_error_;
};

class WebSocketTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start({"--set", "listen.max_frame_bytes=2048"})) << server_.log();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  /// A stream that said hello as `role` and got its welcome.
  void open(ws_client& client, const std::string& role) {
    ASSERT_TRUE(client.connect(server_.http_port()));
    ASSERT_TRUE(client.send(R"({"type":"hello","role":")" + role + R"(","token":")" + role
                            + "-dev-token\"}"));
    auto welcome = client.receive();
    ASSERT_TRUE(welcome.has_value());
    auto parsed = parse_frame(*welcome);
    ASSERT_TRUE(parsed.has_value()) << *welcome;
    EXPECT_EQ(parsed->get("type"), "welcome") << *welcome;
    EXPECT_EQ(parsed->get("role"), role);
    EXPECT_FALSE(parsed->get("session").empty());
  }

  server_process server_;
};

TEST_F(WebSocketTest, AGatewayStreamGetsItsAcksInOrderAndTheBotsReplyAsMessages) {
  ws_client gateway;
  open(gateway, "gateway");

  ASSERT_TRUE(
      gateway.send(R"({"type":"customer.message","id":"ws-1","conv":"ws-c1","text":"hi"})"));
  ASSERT_TRUE(gateway.send(R"({"type":"customer.message","id":"ws-2",)"));
  ASSERT_TRUE(gateway.send(R"({"type":"customer.csat","id":"ws-3","conv":"ws-c1","score":9})"));
  ASSERT_TRUE(gateway.send(R"({"type":"customer.csat","id":"ws-4","conv":"ws-c1","score":5})"));

  // Each message is answered, in the order sent; a bad one does not disturb the others.
  std::vector<frame> acks;
  while (acks.size() < 4) {
    auto ack = gateway.wait_for([](const frame& f) { return f.get("type") == "ack"; });
    ASSERT_TRUE(ack.has_value()) << "only " << acks.size() << " acks";
    acks.push_back(*ack);
  }
  EXPECT_EQ(acks[0].get("id"), "ws-1");
  EXPECT_EQ(acks[0].get("status"), "ok") << acks[0].raw;
  EXPECT_EQ(acks[1].get("status"), "rejected");
  EXPECT_NE(acks[1].raw.find("bad_json"), std::string::npos) << acks[1].raw;
  EXPECT_EQ(acks[2].get("id"), "ws-3");
  EXPECT_NE(acks[2].raw.find("bad_value"), std::string::npos) << acks[2].raw;
  EXPECT_EQ(acks[3].get("id"), "ws-4");
  EXPECT_EQ(acks[3].get("status"), "ok") << acks[3].raw;

  // The embedded bot's answer comes to this stream, which carries the conversation, and is
  // acknowledged over it.
  auto reply = gateway.wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->get("conv"), "ws-c1");
  EXPECT_EQ(reply->raw.find('\n'), std::string::npos) << "one object per message, no newline";
  ASSERT_TRUE(gateway.send(R"({"type":"delivery.ack","id":"ws-5","delivery":")"
                           + reply->get("delivery") + "\"}"));
  auto acked = gateway.ack("ws-5");
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->get("status"), "ok") << acked->raw;
}

TEST_F(WebSocketTest, AnOversizedMessageIsRefusedAndTheStreamGoesOn) {
  ws_client gateway;
  open(gateway, "gateway");

  // Far over the limit, so that it arrives in many pieces that are all skipped.
  const std::string long_text(200000, 'x');
  ASSERT_TRUE(gateway.send(R"({"type":"customer.message","id":"big","conv":"ws-c2","text":")"
                           + long_text + "\"}"));
  ASSERT_TRUE(
      gateway.send(R"({"type":"customer.message","id":"after","conv":"ws-c2","text":"hi"})"));

  auto refused = gateway.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->get("status"), "rejected");
  EXPECT_NE(refused->raw.find("frame_too_large"), std::string::npos) << refused->raw;
  auto after = gateway.ack("after");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->get("status"), "ok") << after->raw;
}

TEST_F(WebSocketTest, InvalidUtf8InABinaryMessageIsRejectedAndTheStreamGoesOn) {
  ws_client gateway;
  open(gateway, "gateway");

  ASSERT_TRUE(
      gateway.send("{\"type\":\"customer.message\",\"id\":\"u1\",\"conv\":\"ws-c3\","
                   "\"text\":\"\xC3\x28\"}",
                   true));
  ASSERT_TRUE(gateway.send(R"({"type":"customer.message","id":"u2","conv":"ws-c3","text":"ok"})"));

  // The bad bytes are in the text, not the id: the ack names the event.
  auto refused = gateway.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->get("id"), "u1") << refused->raw;
  EXPECT_EQ(refused->get("status"), "rejected");
  EXPECT_NE(refused->raw.find("bad_utf8"), std::string::npos) << refused->raw;
  auto next = gateway.ack("u2");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->get("status"), "ok") << next->raw;
}

TEST_F(WebSocketTest, BlankMessagesAreIgnoredAndALineEndDoesNotCountAgainstTheLimit) {
  ws_client gateway;
  open(gateway, "gateway");
  ASSERT_TRUE(gateway.send(" \t "));
  ASSERT_TRUE(gateway.send("\r\n"));
  // Exactly listen.max_frame_bytes (2048 here) of JSON, then the newline a TCP line has.
  std::string longest = R"({"type":"customer.message","id":"lim","conv":"ws-lim","text":")";
  longest += std::string(2048 - longest.size() - 2, 'x') + "\"}";
  ASSERT_EQ(longest.size(), 2048u);
  ASSERT_TRUE(gateway.send(longest + "\r\n"));
  auto first = gateway.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->get("id"), "lim") << "a blank message was answered: " << first->raw;
  EXPECT_EQ(first->get("status"), "ok") << first->raw;
}

TEST_F(WebSocketTest, AFrameBeforeHelloIsUnauthorizedAndClosesTheStream) {
  ws_client client;
  ASSERT_TRUE(client.connect(server_.http_port()));
  ASSERT_TRUE(client.send(R"({"type":"customer.message","id":"x","conv":"c","text":"hi"})"));

  auto answer = client.receive();
  ASSERT_TRUE(answer.has_value());
  auto parsed = parse_frame(*answer);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->get("status"), "rejected");
  EXPECT_NE(answer->find("unauthorized"), std::string::npos) << *answer;
  auto code = client.closed_by_server(milliseconds{5000});
  ASSERT_TRUE(code.has_value()) << "the stream stayed open";
  EXPECT_EQ(*code, websocket::close_code::policy_error);
}

TEST(WebSocketHello, AStreamWithoutAHelloInTimeIsClosedWithAPolicyViolation) {
  server_process server;
  ASSERT_TRUE(server.start({"--set", "listen.hello_timeout=300ms"})) << server.log();
  ws_client client;
  ASSERT_TRUE(client.connect(server.http_port()));
  auto code = client.closed_by_server(milliseconds{5000});
  ASSERT_TRUE(code.has_value()) << "the stream stayed open";
  EXPECT_EQ(*code, websocket::close_code::policy_error);
}

TEST_F(WebSocketTest, AWrongTokenIsUnauthorized) {
  ws_client client;
  ASSERT_TRUE(client.connect(server_.http_port()));
  ASSERT_TRUE(client.send(R"({"type":"hello","role":"admin","token":"gateway-dev-token"})"));

  auto answer = client.receive();
  ASSERT_TRUE(answer.has_value());
  EXPECT_NE(answer->find("unauthorized"), std::string::npos) << *answer;
  EXPECT_TRUE(client.closed_by_server(milliseconds{5000}).has_value());
}

TEST_F(WebSocketTest, AnAgentStreamIsOfferedWhatTheBotHandsOff) {
  ws_client agent;
  ASSERT_TRUE(agent.connect(server_.http_port()));
  ASSERT_TRUE(
      agent.send(R"({"type":"hello","role":"agent","token":"agent-dev-token","agent":"a-ws"})"));
  ASSERT_TRUE(agent.wait_for([](const frame& f) { return f.get("type") == "welcome"; }));
  ASSERT_TRUE(
      agent.send(R"({"type":"agent.status","id":"st","agent":"a-ws","status":"available"})"));
  ASSERT_TRUE(agent.ack("st"));

  ws_client gateway;
  open(gateway, "gateway");
  // The embedded FAQ bot hands a card fraud straight to a human.
  ASSERT_TRUE(gateway.send(
      R"({"type":"customer.message","id":"h1","conv":"ws-c4","text":"fraud on my card"})"));
  ASSERT_TRUE(gateway.ack("h1"));

  auto offer = agent.wait_for([](const frame& f) { return f.get("type") == "agent.offer"; },
                              milliseconds{10000});
  ASSERT_TRUE(offer.has_value()) << "no offer reached the agent's stream";
  EXPECT_EQ(offer->get("conv"), "ws-c4");
  ASSERT_TRUE(
      agent.send(R"({"type":"agent.accept","id":"acc","conv":"ws-c4","agent":"a-ws","offer":")"
                 + offer->get("offer") + "\"}"));
  auto accepted = agent.ack("acc");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->get("status"), "ok") << accepted->raw;
}

}  // namespace
}  // namespace blendroute::testing
