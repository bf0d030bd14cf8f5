// A bounded HTTP GET of /v1/kpis with Beast, read with simdjson's DOM.
#include "net/kpi_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <simdjson.h>

namespace blendroute::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

error unreachable(const std::string& where, const beast::error_code& ec) {
  return {errc::unavailable, "GET " + where + ": " + ec.message()};
}

}  // namespace

result<tier_workload> parse_tier_workload(const std::string& body, const std::string& tier) {
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  if (auto code = parser.parse(body).get(report)) {
    return error{errc::bad_json, std::string("/v1/kpis: ") + simdjson::error_message(code)};
  }
  simdjson::dom::element figures;
  if (report["tiers"][tier].get(figures) != simdjson::SUCCESS) {
    return error{errc::bad_value, "/v1/kpis has no tier \"" + tier + "\""};
  }

  tier_workload out;
  double observed = 0;
  std::int64_t window = 0;
  // Routers before `observed_s` report only the window.
  if (report["observed_s"].get(observed) == simdjson::SUCCESS) {
    out.observed_seconds = observed;
  } else if (report["window_s"].get(window) == simdjson::SUCCESS) {
    out.observed_seconds = static_cast<double>(window);
  } else {
    return error{errc::missing_field, "/v1/kpis has neither `observed_s` nor `window_s`"};
  }
  std::int64_t escalated = 0;
  if (figures["escalated"].get(escalated) != simdjson::SUCCESS || escalated < 0) {
    return error{errc::missing_field, "/v1/kpis tier \"" + tier + "\" has no `escalated`"};
  }
  out.escalated = static_cast<std::uint64_t>(escalated);
  double handle = 0;
  if (figures["average_handle_s"].get(handle) == simdjson::SUCCESS) {
    out.average_handle_seconds = handle;
  }
  return out;
}

result<tier_workload> fetch_tier_workload(const std::string& host, std::uint16_t port,
                                          const std::string& token, const std::string& tier,
                                          duration timeout) {
  const std::string where = "http://" + host + ":" + std::to_string(port) + "/v1/kpis";
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> request(http::verb::get, "/v1/kpis", 11);
  request.set(http::field::host, host);
  request.set(http::field::authorization, "Bearer " + token);
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
    return unreachable(where, failure);
  }
  if (response.result() != http::status::ok) {
    return error{errc::unavailable, "GET " + where + ": HTTP "
                                        + std::to_string(response.result_int()) + " "
                                        + response.body().substr(0, 200)};
  }
  return parse_tier_workload(response.body(), tier);
}

}  // namespace blendroute::net
