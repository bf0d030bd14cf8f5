// One bounded HTTP GET with Beast, all of it under one deadline.
#include "net/http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace blendroute::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

result<std::string> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                             const std::string& token, duration timeout) {
  const std::string where = "http://" + host + ":" + std::to_string(port) + target;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, host);
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  http::response<http::string_body> response;
  beast::error_code failure;
  bool done = false;

  // Resolve, connect, write, read: each step hands over to the next, all under one deadline.
  stream.expires_after(timeout);
  resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, auto endpoints) {
    if (ec) {
      failure = ec;
      done = true;
      return;
    }
    stream.async_connect(endpoints, [&](beast::error_code connect_ec, auto) {
      if (connect_ec) {
        failure = connect_ec;
        done = true;
        return;
      }
      http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
        if (write_ec) {
          failure = write_ec;
          done = true;
          return;
        }
        http::async_read(stream, buffer, response, [&](beast::error_code read_ec, std::size_t) {
          failure = read_ec;
          done = true;
        });
      });
    });
  });
  io.run_for(timeout + std::chrono::milliseconds{100});
  if (!done) {
    return error{errc::unavailable, "GET " + where + ": no answer within the timeout"};
  }
  if (failure) {
    return error{errc::unavailable, "GET " + where + ": " + failure.message()};
  }
  if (response.result() != http::status::ok) {
    return error{errc::unavailable, "GET " + where + ": HTTP "
                                        + std::to_string(response.result_int()) + " "
                                        + response.body().substr(0, 200)};
  }
  return std::move(response.body());
}

}  // namespace blendroute::net
