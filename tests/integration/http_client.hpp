// Raw HTTP/1.1 exchanges with the real server, bounded in time.
#pragma once

#include <cstdint>
#include <string>

namespace blendroute::testing {

/// Sends one raw HTTP request and returns everything the server sent until it closed the
/// connection or 5 s passed.
std::string http_exchange(std::uint16_t port, const std::string& request);

/// `POST /v1/events` with `token` and a body of content type `type`; the whole response.
std::string post(std::uint16_t port, const std::string& token, const std::string& type,
                 const std::string& body);

/// The status code of a raw response, 0 when there is none.
int status_of(const std::string& response);

/// `GET /metrics`: the body's value of the sample `name` (with its labels, exactly as
/// printed, e.g. `blendroute_open_connections{listener="tcp"}`), or -1 when it is absent.
double metric_value(std::uint16_t port, const std::string& name);

}  // namespace blendroute::testing
