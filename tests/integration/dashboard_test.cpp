// The supervisor dashboard at `/`, rendered by headless Chromium against the real server:
// what it shows must be what /v1/kpis and /v1/queues say.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "tests/integration/command.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

std::string get(std::uint16_t port, const std::string& path) {
  const std::string response = http_exchange(
      port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            "Authorization: Bearer supervisor-dev-token\r\n\r\n");
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string{} : response.substr(body + 4);
}

/// The text of the element with `id` in a dumped DOM, or "(missing)".
std::string element_text(const std::string& dom, const std::string& id) {
  const std::regex pattern("id=\"" + id + "\"[^>]*>([^<]*)<");
  std::smatch match;
  return std::regex_search(dom, match, pattern) ? match[1].str() : "(missing)";
}

/// What the page prints for a ratio: one decimal and a percent sign, or an em dash.
std::string percent(simdjson::dom::element value) {
  double ratio = 0;
  if (value.get(ratio) != simdjson::SUCCESS) {
    return "\xE2\x80\x94";
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %%", ratio * 100);
  return text;
}

std::string chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (std::filesystem::exists(candidate)) {
      return candidate;
    }
  }
  return {};
}

class DashboardTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.log(); }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  server_process server_;
};

TEST_F(DashboardTest, HeadlessChromiumShowsWhatTheKpisAndQueuesSay) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty())
      << "Debian's chromium is needed: scripts/install-deps.sh installs it";
  const auto port = server_.http_port();

  // One conversation the bot contains, one waiting for a human, and a CSAT.
  ASSERT_EQ(status_of(post(
                port, "gateway-dev-token", "application/x-ndjson",
                R"({"type":"customer.message","id":"d1","conv":"dash-1","text":"weather?"})"
                "\n"
                R"({"type":"customer.message","id":"d2","conv":"dash-2","text":"fraud on my card"})"
                "\n")),
            200);
  std::string kpis;
  for (int round = 0; round < 100; ++round) {
    kpis = get(port, "/v1/kpis");
    if (kpis.find(R"("overall":{"finished":1,)") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(milliseconds{20});
  }
  ASSERT_EQ(status_of(post(port, "gateway-dev-token", "application/json",
                           R"({"type":"customer.csat","id":"d3","conv":"dash-1","score":4})")),
            200);

  const std::string profile = "/tmp/blendroute-chromium-" + std::to_string(::getpid());
  const std::string command =
      browser + " --headless --no-sandbox --disable-gpu --user-data-dir=" + profile
      + " --virtual-time-budget=5000 --dump-dom 'http://127.0.0.1:" + std::to_string(port)
      + "/#token=supervisor-dev-token' 2>/dev/null";
  std::string dom;
  run_command(command, dom, false);
  std::filesystem::remove_all(profile);
  ASSERT_NE(dom.find("blendroute supervisor"), std::string::npos) << "no page rendered: " << dom;
  ASSERT_EQ(element_text(dom, "status"), "live") << dom;

  // Read after the page, so that nothing changed in between that the page could not show.
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  kpis = get(port, "/v1/kpis");
  ASSERT_EQ(parser.parse(kpis).get(report), simdjson::SUCCESS) << kpis;
  EXPECT_EQ(element_text(dom, "containment-all"), percent(report["overall"]["containment"]));
  EXPECT_EQ(element_text(dom, "escalation-all"), percent(report["overall"]["escalation_rate"]));
  std::int64_t finished = 0;
  ASSERT_EQ(report["overall"]["finished"].get(finished), simdjson::SUCCESS);
  EXPECT_EQ(element_text(dom, "finished-all"), std::to_string(finished));
  double csat = 0;
  ASSERT_EQ(report["overall"]["csat"].get(csat), simdjson::SUCCESS);
  char csat_text[16];
  std::snprintf(csat_text, sizeof(csat_text), "%.2f", csat);
  EXPECT_EQ(element_text(dom, "csat-all"), csat_text);
  for (const char* sla : {"bot_attempt", "bot_max_turns", "human_response", "offer_accept"}) {
    EXPECT_EQ(element_text(dom, std::string("sla-standard-") + sla),
              percent(report["tiers"]["standard"]["sla_attainment"][sla]))
        << sla;
  }
  EXPECT_EQ(element_text(dom, "rollout-stage"), "off");

  simdjson::dom::parser queue_parser;
  simdjson::dom::element queues;
  const std::string queue_body = get(port, "/v1/queues");
  ASSERT_EQ(queue_parser.parse(queue_body).get(queues), simdjson::SUCCESS) << queue_body;
  for (auto queue : queues["queues"].get_array()) {
    std::string_view tier;
    std::int64_t depth = 0;
    ASSERT_EQ(queue["tier"].get(tier), simdjson::SUCCESS);
    ASSERT_EQ(queue["depth"].get(depth), simdjson::SUCCESS);
    EXPECT_EQ(element_text(dom, "queue-depth-" + std::string(tier)), std::to_string(depth)) << tier;
  }
  EXPECT_EQ(element_text(dom, "queue-depth-standard"), "1") << "the fraud conversation waits";
}

TEST_F(DashboardTest, ThePageNeedsNoTokenButItsDataDoes) {
  const auto port = server_.http_port();
  const std::string page =
      http_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(page), 200);
  EXPECT_NE(page.find("text/html"), std::string::npos);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "GET /v1/rollout HTTP/1.1\r\nHost: x\r\n"
                                    "Connection: close\r\n\r\n")),
            401);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                    "Content-Length: 0\r\n\r\n")),
            405);
}

}  // namespace
}  // namespace blendroute::testing
