// The HTTP listener of the real server: events posted and acked in order, request errors.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

class HttpTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.log(); }

  server_process server_;
};

TEST_F(HttpTest, PostedEventsAreAckedInOrderAsNdjson) {
  const std::string response =
      post(server_.http_port(), "gateway-dev-token", "application/x-ndjson",
           R"({"type":"customer.message","id":"h1","conv":"web-1","text":"hello"})"
           "\n"
           R"({"type":"customer.shout","id":"h2"})"
           "\n"
           R"({"type":"customer.left","id":"h3","conv":"web-1"})"
           "\n");
  ASSERT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find("application/x-ndjson"), std::string::npos);
  const auto first = response.find(R"("id":"h1","status":"ok")");
  const auto second = response.find(R"("id":"h2","status":"rejected")");
  const auto third = response.find(R"("id":"h3","status":"ok")");
  ASSERT_NE(first, std::string::npos) << response;
  ASSERT_NE(second, std::string::npos) << response;
  ASSERT_NE(third, std::string::npos) << response;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

TEST_F(HttpTest, OneJsonObjectGetsOneAckAndRolesStillApply) {
  const std::string ok = post(server_.http_port(), "gateway-dev-token", "application/json",
                              R"({"type":"customer.message","id":"j1","conv":"c","text":"hi"})");
  EXPECT_EQ(status_of(ok), 200) << ok;
  EXPECT_NE(ok.find(R"("id":"j1","status":"ok")"), std::string::npos) << ok;

  const std::string forbidden =
      post(server_.http_port(), "bot-dev-token", "application/json",
           R"({"type":"customer.message","id":"j2","conv":"c","text":"hi"})");
  EXPECT_EQ(status_of(forbidden), 200);
  EXPECT_NE(forbidden.find(R"("code":"forbidden")"), std::string::npos) << forbidden;
}

TEST_F(HttpTest, RequestErrorsGetTheirStatus) {
  const auto port = server_.http_port();
  EXPECT_EQ(status_of(post(port, "guess", "application/json", "{}")), 401);
  EXPECT_EQ(status_of(post(port, "gateway-dev-token", "text/plain", "{}")), 415);
  EXPECT_EQ(status_of(post(port, "gateway-dev-token", "application/json", "")), 400);
  EXPECT_EQ(status_of(http_exchange(port, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer gateway-dev-token\r\n\r\n")),
            405);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer gateway-dev-token\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 999999999\r\n\r\n")),
            413);
  EXPECT_EQ(status_of(http_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                              + std::string(10000, 'a') + "\r\n\r\n")),
            431);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "GET /v1/kpis HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer gateway-dev-token\r\n\r\n")),
            403);
  // A supervisor watches: no event is its to send.
  EXPECT_EQ(status_of(post(port, "supervisor-dev-token", "application/json",
                           R"({"type":"customer.left","id":"s1","conv":"c"})")),
            403);
  // The stream is a WebSocket: a plain GET is malformed for it, another method not allowed.
  EXPECT_EQ(status_of(http_exchange(port, "GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")), 400);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "POST /v1/stream HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Length: 0\r\n\r\n")),
            405);
}

TEST_F(HttpTest, HeadersAreReadTheWayHttpDefinesThem) {
  const auto port = server_.http_port();
  const std::string event = R"({"type":"customer.left","id":"k1","conv":"nobody"})";
  // Media types and the auth scheme are case-insensitive; absolute-form targets are valid.
  const std::string response =
      http_exchange(port,
                    "POST http://127.0.0.1/v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Authorization: bearer gateway-dev-token\r\n"
                    "Content-Type: Application/JSON ; charset=UTF-8\r\nContent-Length: "
                        + std::to_string(event.size()) + "\r\n\r\n" + event);
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_NE(response.find(R"("id":"k1")"), std::string::npos) << response;

  // Several spaces may follow the scheme (RFC 6750 §2.1).
  const std::string spaced =
      http_exchange(port,
                    "GET /v1/queues HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Authorization: Bearer   supervisor-dev-token\r\n\r\n");
  EXPECT_EQ(status_of(spaced), 200) << spaced;
}

TEST_F(HttpTest, AnEventOverTheFrameLimitIsRefusedAsOnTcp) {
  const std::string big = R"({"type":"customer.message","id":"big","conv":"c","text":")"
                          + std::string(70000, 'x') + "\"}";
  const std::string response =
      post(server_.http_port(), "gateway-dev-token", "application/x-ndjson", big + "\n");
  EXPECT_EQ(status_of(response), 200) << response.substr(0, 200);
  EXPECT_NE(response.find(R"("code":"frame_too_large")"), std::string::npos);
}

TEST_F(HttpTest, UnframeableBodiesAreRefusedAndNothingKillsTheServer) {
  const auto port = server_.http_port();
  EXPECT_EQ(status_of(http_exchange(port,
                                    "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer gateway-dev-token\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Transfer-Encoding: gzip\r\n\r\nGET /nope HTTP/1.1\r\n\r\n")),
            400);
  // Codings before `chunked` would leave the body in them (a gzipped body read as JSON).
  for (const std::string coding : {"gzip, chunked", "foo, chunked", "chunked, identity"}) {
    const std::string response =
        http_exchange(port,
                      "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer gateway-dev-token\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: "
                          + coding
                          + "\r\n\r\n30\r\n"
                            R"({"type":"customer.left","id":"te-1","conv":"te"})"
                            "\r\n0\r\n\r\n");
    EXPECT_EQ(status_of(response), 400) << coding << ": " << response;
  }
  // A chunked trailer field longer than the HTTP library accepts.
  http_exchange(port,
                "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer gateway-dev-token\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\n{}\r\n0\r\nX-T: "
                    + std::string(70000, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_of(http_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

std::string get(std::uint16_t port, const std::string& token, const std::string& path) {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                 "Authorization: Bearer " + token + "\r\n\r\n");
}

/// `get` again every 20 ms, for at most 2 s, until the response holds `expected`; the last
/// response either way.
std::string get_until(std::uint16_t port, const std::string& token, const std::string& path,
                      const std::string& expected) {
  std::string response;
  for (int i = 0; i < 100; ++i) {
    response = get(port, token, path);
    if (response.find(expected) != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return response;
}

TEST_F(HttpTest, SupervisorsSeeAConversationTheAgentsAndTheQueues) {
  const auto port = server_.http_port();
  ASSERT_EQ(
      status_of(post(
          port, "agent-dev-token", "application/json",
          R"({"type":"agent.status","id":"s","agent":"ana","status":"available","capacity":2,"skills":["billing"]})")),
      200);
  ASSERT_EQ(
      status_of(post(
          port, "gateway-dev-token", "application/json",
          R"({"type":"customer.message","id":"m","conv":"conv 7","customer":"c7","channel":"web","text":"I need to report fraud on my card"})")),
      200);

  // The conversation escalated and was offered to ana (an offer is still the queue's).
  const std::string conversation =
      get_until(port, "supervisor-dev-token", "/v1/conversations/conv%207", R"("state":"offered")");
  EXPECT_EQ(status_of(conversation), 200) << conversation;
  for (const char* field : {R"("conv":"conv 7")", R"("state":"offered")", R"("tier":"standard")",
                            R"("owner":"queue:standard")", R"("customer":"c7")",
                            R"("channel":"web")", R"("bot_turns":1)", R"("transfers":0)",
                            R"("opened_at":)", R"("transcript":[{"from":"customer")"}) {
    EXPECT_NE(conversation.find(field), std::string::npos) << field << " in " << conversation;
  }

  const std::string agents = get(port, "admin-dev-token", "/v1/agents");
  EXPECT_EQ(status_of(agents), 200) << agents;
  EXPECT_NE(agents.find(R"({"agent":"ana","status":"available","capacity":2,"skills":["billing"],)"
                        R"("conversations":1,"connected":true})"),
            std::string::npos)
      << agents;
  const std::string queues = get(port, "supervisor-dev-token", "/v1/queues");
  EXPECT_EQ(status_of(queues), 200) << queues;
  EXPECT_NE(queues.find(R"({"tier":"standard","depth":0,"longest_wait_ms":0})"), std::string::npos)
      << queues;

  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/nobody")), 404);
  EXPECT_EQ(status_of(get(port, "gateway-dev-token", "/v1/agents")), 403);
  EXPECT_EQ(status_of(http_exchange(port,
                                    "POST /v1/queues HTTP/1.1\r\nHost: x\r\n"
                                    "Authorization: Bearer admin-dev-token\r\n"
                                    "Content-Length: 0\r\n\r\n")),
            405);
}

TEST_F(HttpTest, MetricsNeedNoTokenAndCountWhatHappened) {
  const auto port = server_.http_port();
  ASSERT_EQ(
      status_of(post(port, "gateway-dev-token", "application/json",
                     R"({"type":"customer.message","id":"m","conv":"mx","text":"weather?"})")),
      200);
  ASSERT_EQ(
      status_of(post(port, "gateway-dev-token", "application/json",
                     R"({"type":"customer.message","id":"m","conv":"mx","text":"weather?"})")),
      200);
  // The latency is recorded just after the ack goes out: look again briefly.
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    metrics = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (metrics.find("blendroute_message_to_bot_request_seconds_count 1\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  EXPECT_EQ(status_of(metrics), 200) << metrics;
  EXPECT_NE(metrics.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  for (const char* line :
       {"# TYPE blendroute_ingress_events_total counter\n",
        "blendroute_ingress_events_total{type=\"customer.message\",status=\"ok\"} 1\n",
        "blendroute_ingress_events_total{type=\"customer.message\",status=\"duplicate\"} 1\n",
        "blendroute_sla_breaches_total{tier=\"standard\",sla=\"bot_attempt\"} 0\n",
        "blendroute_message_to_bot_request_seconds_count 1\n",
        "blendroute_queue_depth{tier=\"priority\"} 0\n", "blendroute_journal_writable 1\n",
        "# TYPE blendroute_pending_deliveries gauge\n",
        "# TYPE blendroute_journal_commit_seconds histogram\n",
        "# TYPE blendroute_open_conversations gauge\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << " in\n" << metrics;
  }
  // The accepted message was one group commit at least.
  EXPECT_GE(metric_value(server_.http_port(), "blendroute_journal_commit_seconds_count"), 1);

  // The weather question was resolved by the bot; a fraud report waits for an agent.
  ASSERT_EQ(status_of(post(
                port, "gateway-dev-token", "application/json",
                R"({"type":"customer.message","id":"mq","conv":"mq","text":"fraud on my card"})")),
            200);
  double queued = -1;
  for (int i = 0; i < 100 && queued != 1; ++i) {
    queued = metric_value(port, R"(blendroute_open_conversations{state="queued"})");
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  EXPECT_EQ(queued, 1);
  EXPECT_EQ(metric_value(port, R"(blendroute_open_conversations{state="bot"})"), 0);
  EXPECT_EQ(metric_value(port, R"(blendroute_open_conversations{state="agent"})"), 0);
}

TEST_F(HttpTest, KpisCountWhatTheBotContainedAndWhatWentToHumans) {
  const auto port = server_.http_port();
  // One conversation the bot resolves, one it hands to a human queue, and a CSAT.
  ASSERT_EQ(
      status_of(post(
          port, "gateway-dev-token", "application/x-ndjson",
          R"({"type":"customer.message","id":"k1","conv":"kc-1","text":"weather?"})"
          "\n"
          R"({"type":"customer.message","id":"k2","conv":"kc-2","text":"I need to report fraud on my card"})"
          "\n")),
      200);
  std::string kpis =
      get_until(port, "supervisor-dev-token", "/v1/kpis", R"("overall":{"finished":1,)");
  ASSERT_EQ(status_of(post(port, "gateway-dev-token", "application/json",
                           R"({"type":"customer.csat","id":"k3","conv":"kc-1","score":4})")),
            200);
  kpis = get(port, "supervisor-dev-token", "/v1/kpis");
  EXPECT_EQ(status_of(kpis), 200) << kpis;
  for (const char* field :
       {R"("window_s":3600)", R"("overall":{"finished":1,"contained":1,)", R"("containment":1)",
        R"("csat":4)", R"("sla_attainment":{"bot_attempt":1,)", R"("standard":{)"}) {
    EXPECT_NE(kpis.find(field), std::string::npos) << field << " in " << kpis;
  }
  const std::string metrics =
      http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(metrics.find("blendroute_kpi_containment_ratio{tier=\"all\"} 1\n"), std::string::npos)
      << metrics;
  EXPECT_EQ(status_of(get(port, "gateway-dev-token", "/v1/kpis")), 403);
}

TEST_F(HttpTest, AReopenedConversationCountsOnceAndNotAsAFirstContactResolution) {
  const auto port = server_.http_port();
  ASSERT_EQ(
      status_of(post(port, "gateway-dev-token", "application/json",
                     R"({"type":"customer.message","id":"r1","conv":"kr","text":"weather?"})")),
      200);
  get_until(port, "supervisor-dev-token", "/v1/kpis", R"("overall":{"finished":1,)");
  // Inside the resume window: the same conversation again, which the bot resolves again.
  ASSERT_EQ(
      status_of(post(port, "gateway-dev-token", "application/json",
                     R"({"type":"customer.message","id":"r2","conv":"kr","text":"weather?"})")),
      200);
  // Withdrawn at the reopen, its ending counts again once the bot resolves it again.
  const std::string counts =
      R"("overall":{"finished":1,"contained":1,"escalated":0,"resolved":1,"abandoned":0,)"
      R"("transfers":0,"reopened":1,)";
  const std::string kpis = get_until(port, "supervisor-dev-token", "/v1/kpis", counts);
  for (const std::string& field : {counts, std::string(R"("first_contact_resolution":0,)"),
                                   std::string(R"("containment":1,)")}) {
    EXPECT_NE(kpis.find(field), std::string::npos) << field << " in " << kpis;
  }
}

TEST_F(HttpTest, StaffingReadsTheLiveWorkloadOfATier) {
  wire_client agent;
  wire_client gateway;
  ASSERT_TRUE(agent.connect(server_.port()));
  ASSERT_TRUE(agent.hello("agent", "agent-dev-token", "st-agent"));
  ASSERT_TRUE(gateway.connect(server_.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));
  agent.send_line(R"({"type":"agent.status","id":"st-s","agent":"st-agent","status":"available"})");
  ASSERT_TRUE(agent.ack("st-s"));
  gateway.send_line(
      R"({"type":"customer.message","id":"st-m","conv":"st-c","text":"fraud on my card"})");
  ASSERT_TRUE(gateway.ack("st-m"));
  auto offer = agent.wait_for([](const frame& f) { return f.get("type") == "agent.offer"; });
  ASSERT_TRUE(offer.has_value());
  agent.send_line(R"({"type":"agent.accept","id":"st-a","conv":"st-c","agent":"st-agent","offer":")"
                  + offer->get("offer") + "\"}");
  ASSERT_TRUE(agent.ack("st-a"));
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  agent.send_line(R"({"type":"agent.resolve","id":"st-r","conv":"st-c","agent":"st-agent"})");
  ASSERT_TRUE(agent.ack("st-r"));

  // The escalation counts once its conversation finishes.
  std::string output;
  int status = -1;
  for (int attempt = 0; attempt < 50; ++attempt) {
    status = server_.run_tool({"staffing", "--tier", "standard", "--from",
                               "127.0.0.1:" + std::to_string(server_.http_port())},
                              output);
    if (status == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("tier standard (live figures)"), std::string::npos) << output;
  EXPECT_NE(output.find("recommended: "), std::string::npos) << output;

  // Without a router there to ask, and without figures, it says what is missing.
  EXPECT_EQ(server_.run_tool({"staffing", "--tier", "standard"}, output), 2);
  EXPECT_NE(output.find("--arrivals-per-hour"), std::string::npos) << output;
  EXPECT_EQ(server_.run_tool({"staffing", "--tier", "standard", "--from", "127.0.0.1:1"}, output),
            3)
      << output;
}

TEST_F(HttpTest, TheTimelineExplainsWhyAConversationIsWithItsAgent) {
  wire_client agent;
  wire_client gateway;
  ASSERT_TRUE(agent.connect(server_.port()));
  ASSERT_TRUE(agent.hello("agent", "agent-dev-token", "tl-agent"));
  ASSERT_TRUE(gateway.connect(server_.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));
  agent.send_line(R"({"type":"agent.status","id":"tl-s","agent":"tl-agent","status":"available"})");
  ASSERT_TRUE(agent.ack("tl-s"));
  gateway.send_line(
      R"({"type":"customer.message","id":"tl-m","conv":"tl c","text":"fraud on my card"})");
  ASSERT_TRUE(gateway.ack("tl-m"));
  auto offer = agent.wait_for([](const frame& f) { return f.get("type") == "agent.offer"; });
  ASSERT_TRUE(offer.has_value());
  agent.send_line(R"({"type":"agent.accept","id":"tl-a","conv":"tl c","agent":"tl-agent","offer":")"
                  + offer->get("offer") + "\"}");
  ASSERT_TRUE(agent.ack("tl-a"));

  const auto port = server_.http_port();
  const std::string timeline =
      get(port, "supervisor-dev-token", "/v1/conversations/tl%20c/timeline");
  ASSERT_EQ(status_of(timeline), 200) << timeline;
  for (const char* step :
       {R"("what":"customer.message")", R"("what":"bot.request")", R"("what":"bot.reply")",
        R"("what":"state","state":"queued","owner":"queue:standard","reason":"bot_handoff")",
        R"("what":"offer_made","agent":"tl-agent")", R"("what":"agent.offer","agent":"tl-agent")",
        R"("what":"agent.accept")", R"("what":"state","state":"agent","owner":"agent:tl-agent")"}) {
    EXPECT_NE(timeline.find(step), std::string::npos) << step << " in " << timeline;
  }
  EXPECT_LT(timeline.find(R"("what":"offer_made")"), timeline.find(R"("what":"agent.accept")"));
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/nobody/timeline")), 404);
  // An id holding a '/' is reached with it percent-encoded.
  gateway.send_line(R"({"type":"customer.message","id":"tl-slash","conv":"a/b","text":"hi"})");
  ASSERT_TRUE(gateway.ack("tl-slash"));
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/a%2Fb")), 200);
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/a%2Fb/timeline")), 200);
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/a/b")), 404);
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/%zz")), 400);
  EXPECT_EQ(status_of(get(port, "supervisor-dev-token", "/v1/conversations/a%2/timeline")), 400);
  EXPECT_EQ(status_of(get(port, "gateway-dev-token", "/v1/conversations/tl%20c/timeline")), 403);
}

TEST_F(HttpTest, HealthAndReadinessNeedNoToken) {
  const std::string health =
      http_exchange(server_.http_port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(health), 200) << health;
  EXPECT_EQ(
      status_of(http_exchange(server_.http_port(), "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")),
      200);
}

TEST_F(HttpTest, HeadAnswersWhatGetWouldWithoutTheBodyAnd405NamesTheMethods) {
  const auto port = server_.http_port();
  // Pipelined on one connection: the HEAD answer has no body, so the GET's follows it.
  const std::string both = http_exchange(port,
                                         "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                         "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                         "Connection: close\r\n\r\n");
  const auto second = both.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << both;
  const std::string head = both.substr(0, second);
  EXPECT_EQ(status_of(head), 200) << both;
  EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "no body after the header: " << head;
  EXPECT_EQ(both.substr(both.size() - 5), "\r\nok\n") << both;

  const std::string queues = http_exchange(port,
                                           "HEAD /v1/queues HTTP/1.1\r\nHost: x\r\n"
                                           "Authorization: Bearer supervisor-dev-token\r\n"
                                           "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(queues), 200) << queues;
  EXPECT_EQ(queues.substr(queues.size() - 4), "\r\n\r\n") << queues;

  const std::string wrong = http_exchange(port,
                                          "DELETE /healthz HTTP/1.1\r\nHost: x\r\n"
                                          "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(wrong), 405) << wrong;
  EXPECT_NE(wrong.find("Allow: GET, HEAD\r\n"), std::string::npos) << wrong;
  const std::string get_events = http_exchange(port,
                                               "GET /v1/events HTTP/1.1\r\nHost: x\r\n"
                                               "Authorization: Bearer gateway-dev-token\r\n"
                                               "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(get_events), 405) << get_events;
  EXPECT_NE(get_events.find("Allow: POST\r\n"), std::string::npos) << get_events;
}

TEST_F(HttpTest, AMonitoringTokenGuardsMetricsAndProbesWhenConfigured) {
  ASSERT_EQ(server_.stop(), 0) << server_.log();
  ASSERT_TRUE(server_.start({"--set", "auth.monitoring=probe-token"})) << server_.log();
  const auto port = server_.http_port();
  for (const std::string path : {"/metrics", "/healthz", "/readyz"}) {
    EXPECT_EQ(status_of(http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")), 401)
        << path;
    EXPECT_EQ(status_of(get(port, "wrong-token", path)), 401) << path;
    EXPECT_EQ(status_of(get(port, "gateway-dev-token", path)), 403) << path;
    EXPECT_EQ(status_of(get(port, "probe-token", path)), 200) << path;
    EXPECT_EQ(status_of(get(port, "supervisor-dev-token", path)), 200) << path;
    EXPECT_EQ(status_of(get(port, "admin-dev-token", path)), 200) << path;
  }
  // The monitoring token is no role: it posts no event and reads no conversation.
  EXPECT_EQ(status_of(get(port, "probe-token", "/v1/queues")), 403);
  const std::string refused_head = http_exchange(port,
                                                 "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                                                 "Connection: close\r\n\r\n");
  EXPECT_EQ(status_of(refused_head), 401) << refused_head;
  EXPECT_EQ(refused_head.substr(refused_head.size() - 4), "\r\n\r\n") << "no body to a HEAD";
}

}  // namespace
}  // namespace blendroute::testing
