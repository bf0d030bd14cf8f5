// One bounded HTTP GET with Beast, for the tools that read a running router's API.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/time.hpp"

namespace blendroute::net {

/// GETs http://`host`:`port``target` on a connection of its own, with `Authorization: Bearer
/// token` unless `token` is empty, waiting at most `timeout` in all. Returns the body of a 200
/// answer; any other answer, a failed connection or no answer in time is an `unavailable`
/// error that names the URL and what went wrong.
result<std::string> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                             const std::string& token, duration timeout);

}  // namespace blendroute::net
