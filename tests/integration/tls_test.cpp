// TLS on the real server's TCP and HTTP listeners, with a certificate made for the test.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using std::chrono::milliseconds;

/// Runs the asynchronous operation `start` for at most `timeout`; whether it finished
/// without an error.
template <class Start, class Stream>
bool run_bounded(asio::io_context& io, Stream& stream, Start start, milliseconds timeout) {
  bool finished = false;
  beast::error_code failure;
  start([&](beast::error_code ec, auto&&...) {
    finished = true;
    failure = ec;
  });
  io.restart();
  io.run_for(timeout);
  if (!finished) {
    beast::get_lowest_layer(stream).close();
    io.restart();
    io.run_for(milliseconds{500});
    return false;
  }
  return !failure;
}

class TlsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/blendroute-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
        " -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:"
        "127.0.0.1 -keyout "
        + dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << "openssl could not make a certificate";
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
    std::filesystem::remove_all(dir_);
  }

  bool start_with_tls() {
    return server_.start({"--set", "listen.tcp_tls=true", "--set", "listen.http_tls=true", "--set",
                          "listen.tls_certificate=" + dir_ + "/cert.pem", "--set",
                          "listen.tls_private_key=" + dir_ + "/key.pem"});
  }

  /// A client context that trusts only the test's certificate.
  ssl::context client_context() {
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(dir_ + "/cert.pem");
    context.set_verify_mode(ssl::verify_peer);
    return context;
  }

  asio::ip::tcp::endpoint endpoint(std::uint16_t port) const {
    return {asio::ip::address_v4::loopback(), port};
  }

  std::string dir_;
  server_process server_;
};

TEST_F(TlsTest, ATcpSessionOverTlsSaysHelloAndGetsItsAcks) {
  ASSERT_TRUE(start_with_tls()) << server_.log();
  asio::io_context io;
  ssl::context context = client_context();
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).socket().connect(endpoint(server_.port()));
  ASSERT_TRUE(run_bounded(
      io, stream, [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); },
      milliseconds{5000}))
      << "the TLS handshake failed";

  const std::string frames =
      R"({"type":"hello","role":"gateway","token":"gateway-dev-token"})"
      "\n"
      R"({"type":"customer.message","id":"tls-1","conv":"tls-c","text":"hello"})"
      "\n";
  ASSERT_TRUE(run_bounded(
      io, stream, [&](auto done) { asio::async_write(stream, asio::buffer(frames), done); },
      milliseconds{5000}));
  std::string received;
  // One deadline for all the reads: a read that times out closes the stream, so each read
  // may wait for whatever is left of it (a slow journal fsync must not fail the test).
  const auto deadline = std::chrono::steady_clock::now() + milliseconds{10'000};
  for (int round = 0; round < 50 && received.find(R"("id":"tls-1")") == std::string::npos
                      && std::chrono::steady_clock::now() < deadline;
       ++round) {
    char chunk[4096];
    std::size_t got = 0;
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    run_bounded(
        io, stream,
        [&](auto done) {
          stream.async_read_some(asio::buffer(chunk),
                                 [&, done](beast::error_code ec, std::size_t n) mutable {
                                   got = n;
                                   done(ec, n);
                                 });
        },
        left);
    received.append(chunk, got);
  }
  EXPECT_NE(received.find(R"("type":"welcome")"), std::string::npos) << received;
  EXPECT_NE(received.find(R"({"type":"ack","id":"tls-1","status":"ok"})"), std::string::npos)
      << received;
}

TEST_F(TlsTest, APlainClientOnTheTlsPortGetsNoWelcome) {
  ASSERT_TRUE(start_with_tls()) << server_.log();
  wire_client plain;
  ASSERT_TRUE(plain.connect(server_.port()));
  EXPECT_FALSE(plain.hello("gateway", "gateway-dev-token").has_value());
  plain.pump(milliseconds{500});
  EXPECT_TRUE(plain.closed()) << "the server kept a connection that sent no TLS handshake";
}

TEST_F(TlsTest, HttpsAndWssServeTheSameApi) {
  ASSERT_TRUE(start_with_tls()) << server_.log();
  asio::io_context io;
  ssl::context context = client_context();
  {
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    beast::get_lowest_layer(stream).socket().connect(endpoint(server_.http_port()));
    ASSERT_TRUE(run_bounded(
        io, stream, [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); },
        milliseconds{5000}));
    http::request<http::string_body> request(http::verb::post, "/v1/events", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, "Bearer gateway-dev-token");
    request.set(http::field::content_type, "application/json");
    request.body() = R"({"type":"customer.message","id":"tls-h1","conv":"tls-h","text":"hi"})";
    request.prepare_payload();
    ASSERT_TRUE(run_bounded(
        io, stream, [&](auto done) { http::async_write(stream, request, done); },
        milliseconds{5000}));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    ASSERT_TRUE(run_bounded(
        io, stream, [&](auto done) { http::async_read(stream, buffer, response, done); },
        milliseconds{5000}));
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_NE(response.body().find(R"("id":"tls-h1","status":"ok")"), std::string::npos)
        << response.body();
  }

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, context);
  beast::get_lowest_layer(ws).socket().connect(endpoint(server_.http_port()));
  ASSERT_TRUE(run_bounded(
      io, ws, [&](auto done) { ws.next_layer().async_handshake(ssl::stream_base::client, done); },
      milliseconds{5000}));
  ASSERT_TRUE(run_bounded(
      io, ws, [&](auto done) { ws.async_handshake("127.0.0.1", "/v1/stream", done); },
      milliseconds{5000}));
  const std::string hello =
      R"({"type":"hello","role":"supervisor","token":"supervisor-dev-token"})";
  ASSERT_TRUE(run_bounded(
      io, ws, [&](auto done) { ws.async_write(asio::buffer(hello), done); }, milliseconds{5000}));
  beast::flat_buffer message;
  ASSERT_TRUE(run_bounded(
      io, ws, [&](auto done) { ws.async_read(message, done); }, milliseconds{5000}));
  EXPECT_NE(beast::buffers_to_string(message.data()).find(R"("type":"welcome")"),
            std::string::npos);
}

TEST_F(TlsTest, AKeyThatDoesNotMatchTheCertificateStopsTheStartWithItsName) {
  const std::string other =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
      " -nodes -days 2 -subj /CN=other -keyout "
      + dir_ + "/other-key.pem -out " + dir_ + "/other.pem 2>/dev/null";
  ASSERT_EQ(std::system(other.c_str()), 0);
  EXPECT_FALSE(server_.start({"--set", "listen.tcp_tls=true", "--set",
                              "listen.tls_certificate=" + dir_ + "/cert.pem", "--set",
                              "listen.tls_private_key=" + dir_ + "/other-key.pem"}));
  const std::string log = server_.log();
  EXPECT_NE(log.find("listen.tls_private_key"), std::string::npos) << log;
  EXPECT_NE(log.find("mismatch"), std::string::npos) << log;
}

TEST_F(TlsTest, TlsWithoutACertificateIsAConfigurationError) {
  EXPECT_FALSE(server_.start({"--set", "listen.http_tls=true"}));
  EXPECT_NE(server_.log().find("listen.tls_certificate"), std::string::npos) << server_.log();
}

}  // namespace
}  // namespace blendroute::testing
