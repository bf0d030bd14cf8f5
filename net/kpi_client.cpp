// A bounded HTTP GET of /v1/kpis, read with simdjson's DOM.
#include "net/kpi_client.hpp"

#include <simdjson.h>

#include "net/http_get.hpp"

namespace blendroute::net {

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
  auto body = http_get(host, port, "/v1/kpis", token, timeout);
  if (!body) {
    return body.err();
  }
  return parse_tier_workload(*body, tier);
}

}  // namespace blendroute::net
