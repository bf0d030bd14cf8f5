// The real server on loopback: bundled conversations replayed end to end, bad input, restart.
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "core/json_writer.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

/// One conversation of data/sample/conversations.jsonl.
struct sample_conversation {
  std::string id;
  std::string flow;
  std::string domain;
  std::vector<std::string> customer_turns;
  std::vector<std::string> agent_turns;
};

/// The first sample conversation of each flow in `flows`, in that order.
std::vector<sample_conversation> load_sample(const std::vector<std::string>& flows) {
  std::vector<sample_conversation> found(flows.size());
  std::ifstream in(std::string(BLENDROUTE_SOURCE_DIR) + "/data/sample/conversations.jsonl");
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) {
      continue;
    }
    const std::string flow(doc["flow"].get_string().value());
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (flows[i] != flow || !found[i].id.empty()) {
        continue;
      }
      found[i].id = std::string(doc["id"].get_string().value());
      found[i].flow = flow;
      found[i].domain = std::string(doc["domains"].at(0).get_string().value());
      for (auto turn : doc["turns"].get_array()) {
        const std::string_view speaker = turn["speaker"].get_string().value();
        const std::string text(turn["text"].get_string().value());
        if (speaker == "customer") {
          found[i].customer_turns.push_back(text);
        } else if (speaker == "agent") {
          found[i].agent_turns.push_back(text);
        }
      }
    }
  }
  return found;
}

std::string quoted(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

class ServerTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.log(); }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  void connect(wire_client& client, const std::string& role, const std::string& agent = {}) {
    ASSERT_TRUE(client.connect(server_.port()));
    auto welcome = client.hello(role, role + "-dev-token", agent);
    ASSERT_TRUE(welcome.has_value());
    ASSERT_EQ(welcome->get("type"), "welcome") << welcome->raw;
  }

  server_process server_;
};

class ReplayTest : public ServerTest {
protected:
  void SetUp() override {
    ServerTest::SetUp();
    connect(supervisor_, "supervisor");
    connect(agent_, "agent", "agent-01");
    connect(gateway_, "gateway");
    agent_.send_line(
        R"({"type":"agent.status","id":"st-1","agent":"agent-01","status":"available","capacity":2})");
    auto status = agent_.ack("st-1");
    ASSERT_TRUE(status.has_value());
    ASSERT_EQ(status->get("status"), "ok") << status->raw;
  }

  /// The first state frame of `conv` after the ones already consumed that is not `bot`.
  std::optional<frame> next_state_change(const std::string& conv, milliseconds timeout) {
    return supervisor_.wait_for(
        [&](const frame& f) {
          return f.get("type") == "conversation.state" && f.get("conv") == conv
                 && f.get("state") != "bot";
        },
        timeout);
  }

  void send_customer(const std::string& conv, const std::string& id, const std::string& text,
                     const std::string& domain) {
    gateway_.send_line(R"({"type":"customer.message","id":")" + id + R"(","conv":")" + conv
                       + R"(","text":)" + quoted(text) + R"(,"customer":")" + conv
                       + R"(","channel":"webchat","attrs":{"domain":)" + quoted(domain) + "}}");
    auto ack = gateway_.ack(id);
    ASSERT_TRUE(ack.has_value()) << id;
    ASSERT_EQ(ack->get("status"), "ok") << ack->raw;
  }

  /// Plays the agent from offer to assignment.
  void accept_offer(const std::string& conv) {
    auto offer = agent_.wait_for(
        [&](const frame& f) { return f.get("type") == "agent.offer" && f.get("conv") == conv; });
    ASSERT_TRUE(offer.has_value()) << "no offer for " << conv;
    EXPECT_NE(offer->raw.find("\"context\""), std::string::npos);
    agent_.send_line(R"({"type":"delivery.ack","id":"da-)" + offer->get("delivery")
                     + R"(","delivery":")" + offer->get("delivery") + "\"}");
    const std::string accept_id = conv + "-accept";
    agent_.send_line(R"({"type":"agent.accept","id":")" + accept_id + R"(","conv":")" + conv
                     + R"(","agent":"agent-01","offer":")" + offer->get("offer") + "\"}");
    auto ack = agent_.ack(accept_id);
    ASSERT_TRUE(ack.has_value());
    ASSERT_EQ(ack->get("status"), "ok") << ack->raw;
    ASSERT_TRUE(agent_.wait_for([&](const frame& f) {
      return f.get("type") == "agent.assigned" && f.get("offer") == offer->get("offer");
    }));
    auto owned = next_state_change(conv, milliseconds{5000});
    ASSERT_TRUE(owned.has_value());
    EXPECT_EQ(owned->get("state"), "offered");
    owned = next_state_change(conv, milliseconds{5000});
    ASSERT_TRUE(owned.has_value());
    EXPECT_EQ(owned->get("state"), "agent");
    EXPECT_EQ(owned->get("owner"), "agent:agent-01");
  }

  void agent_reply(const std::string& conv, const std::string& id, const std::string& text) {
    agent_.send_line(R"({"type":"agent.reply","id":")" + id + R"(","conv":")" + conv
                     + R"(","agent":"agent-01","text":)" + quoted(text) + "}");
    auto ack = agent_.ack(id);
    ASSERT_TRUE(ack.has_value());
    ASSERT_EQ(ack->get("status"), "ok") << ack->raw;
    auto delivered = gateway_.wait_for([&](const frame& f) {
      return f.get("type") == "customer.deliver" && f.get("conv") == conv
             && f.get("from") == "agent";
    });
    ASSERT_TRUE(delivered.has_value());
    EXPECT_EQ(delivered->get("text"), text);
  }

  /// Replays one conversation; returns whether it was ever queued for a human.
  bool replay(const sample_conversation& sample) {
    const std::string conv = "it-" + sample.id;
    std::string state = "bot";
    bool escalated = false;
    std::size_t next_agent_turn = 0;
    for (std::size_t turn = 0; turn < sample.customer_turns.size(); ++turn) {
      const std::string id = conv + "-c" + std::to_string(turn);
      send_customer(conv, id, sample.customer_turns[turn], sample.domain);
      if (state == "bot") {
        auto reply = gateway_.wait_for([&](const frame& f) {
          return f.get("type") == "customer.deliver" && f.get("conv") == conv
                 && f.get("from") == "bot";
        });
        EXPECT_TRUE(reply.has_value()) << "no bot reply for " << id;
        // The state frame follows the reply from the same actor turn; a reply that changed
        // nothing sends none, so the wait is a short bound, not a measurement.
        if (auto change = next_state_change(conv, milliseconds{500})) {
          state = change->get("state");
        }
        if (state == "resolved") {
          break;
        }
        if (state == "queued") {
          escalated = true;
          accept_offer(conv);
          state = "agent";
          if (next_agent_turn < sample.agent_turns.size()) {
            agent_reply(conv, conv + "-a" + std::to_string(next_agent_turn),
                        sample.agent_turns[next_agent_turn]);
            ++next_agent_turn;
          }
        }
      } else {
        auto message = agent_.wait_for([&](const frame& f) {
          return f.get("type") == "agent.message" && f.get("conv") == conv;
        });
        EXPECT_TRUE(message.has_value()) << "agent did not get " << id;
        if (message) {
          EXPECT_EQ(message->get("id"), id);
        }
        if (next_agent_turn < sample.agent_turns.size()) {
          agent_reply(conv, conv + "-a" + std::to_string(next_agent_turn),
                      sample.agent_turns[next_agent_turn]);
          ++next_agent_turn;
        }
      }
    }

    if (state == "agent") {
      agent_.send_line(R"({"type":"agent.resolve","id":")" + conv + R"(-resolve","conv":")" + conv
                       + R"(","agent":"agent-01","disposition":"resolved"})");
      auto ack = agent_.ack(conv + "-resolve");
      EXPECT_TRUE(ack.has_value() && ack->get("status") == "ok");
      auto resolved = next_state_change(conv, milliseconds{5000});
      EXPECT_TRUE(resolved.has_value() && resolved->get("state") == "resolved");
      state = "resolved";
    }
    EXPECT_EQ(state, "resolved") << conv;
    return escalated;
  }

  wire_client supervisor_;
  wire_client agent_;
  wire_client gateway_;
};

TEST_F(ReplayTest, BundledConversationsAreContainedOrEscalatedAndAllResolve) {
  auto samples = load_sample({"weather", "bank_fraud_report", "hotel_book"});
  for (const auto& sample : samples) {
    ASSERT_FALSE(sample.id.empty()) << "the sample lacks a flow the test needs";
  }

  EXPECT_FALSE(replay(samples[0])) << "the FAQ bot answers weather questions itself";
  EXPECT_TRUE(replay(samples[1])) << "a fraud report needs a human";
  EXPECT_TRUE(replay(samples[2])) << "the bot cannot book hotels";

  // Routing rules put the bank conversation in the priority tier.
  supervisor_.pump(milliseconds{200});
  bool saw_priority = false;
  bool saw_turn_breach = false;
  for (const auto& f : supervisor_.backlog()) {
    saw_priority |= f.get("conv") == "it-" + samples[1].id && f.get("tier") == "priority";
    saw_turn_breach |= f.get("type") == "sla.breach" && f.get("conv") == "it-" + samples[2].id
                       && f.get("sla") == "bot_max_turns";
  }
  EXPECT_TRUE(saw_priority);
  EXPECT_TRUE(saw_turn_breach);
  EXPECT_EQ(server_.stop(), 0);
  // Every breach is counted, and the count is reported when the router stops.
  EXPECT_NE(server_.log().find("tier=standard bot_attempt=0 bot_max_turns=1"), std::string::npos)
      << server_.log();
  // The router's own latencies are measured: one bot request per bot-owned message, one
  // offer per escalation.
  EXPECT_NE(server_.log().find("escalation_to_offer p50="), std::string::npos) << server_.log();
  EXPECT_EQ(server_.log().find("escalation_to_offer p50=0us p99=0us max=0us n=0"),
            std::string::npos);
}

TEST_F(ServerTest, BadFramesAreRejectedInOrderAndTheStreamGoesOn) {
  wire_client gateway;
  connect(gateway, "gateway");
  const std::string oversized(70000, 'x');
  gateway.send_line("not json");
  gateway.send_line(R"({"type":"customer.shout","id":"u1"})");
  gateway.send_line(R"({"type":"customer.message","id":"big","conv":"c","text":")" + oversized
                    + "\"}");
  gateway.send_line(R"({"type":"agent.reply","id":"f1","conv":"c","agent":"a","text":"x"})");
  gateway.send_line(R"({"type":"customer.left","id":"l1","conv":"nobody"})");
  gateway.send_line(R"({"type":"customer.csat","id":"s1","conv":"c","score":9})");
  gateway.send_line(R"({"type":"customer.message","id":"ok1","conv":"c","text":"hi"})");
  gateway.send_line(R"({"type":"customer.message","id":"ok1","conv":"c","text":"hi"})");

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"null", "bad_json"},
      {"u1", "unknown_type"},
      {"null", "frame_too_large"},
      {"f1", "forbidden"},
      {"l1", "unknown_conversation"},
      {"s1", "bad_value"},
      {"ok1", ""},
      {"ok1", ""},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto ack = gateway.wait_for([](const frame& f) { return f.get("type") == "ack"; });
    ASSERT_TRUE(ack.has_value()) << "ack " << i;
    EXPECT_EQ(ack->get("id"), expected[i].first) << ack->raw;
    EXPECT_EQ(ack->get("error.code"), expected[i].second) << ack->raw;
    if (i == 7) {
      EXPECT_EQ(ack->get("status"), "duplicate");
    }
  }
  EXPECT_FALSE(gateway.closed());
}

TEST_F(ServerTest, EventsPipelinedBehindTheOpeningMessageApplyInOrder) {
  wire_client gateway;
  connect(gateway, "gateway");
  for (int round = 0; round < 20; ++round) {
    const std::string conv = "pipelined-" + std::to_string(round);
    gateway.send_line(R"({"type":"customer.message","id":")" + conv + R"(-m","conv":")" + conv
                      + R"(","text":"hello"})" + "\n" + R"({"type":"customer.csat","id":")" + conv
                      + R"(-s","conv":")" + conv + R"(","score":5})" + "\n"
                      + R"({"type":"customer.left","id":")" + conv + R"(-l","conv":")" + conv
                      + R"("})");
    for (const char* suffix : {"-m", "-s", "-l"}) {
      auto ack = gateway.ack(conv + suffix);
      ASSERT_TRUE(ack.has_value());
      EXPECT_EQ(ack->get("status"), "ok") << ack->raw;
    }
  }
}

TEST_F(ServerTest, ASecondEventWithAnIdInFlightWaitsForTheFirstOutcome) {
  wire_client agent;
  connect(agent, "agent", "ana");
  // The first is rejected (no such conversation), so the second, with the same id, applies.
  agent.send_line(R"({"type":"agent.reply","id":"same","conv":"ghost","agent":"ana","text":"x"})"
                  "\n"
                  R"({"type":"agent.status","id":"same","agent":"ana","status":"available"})");
  auto first = agent.ack("same");
  auto second = agent.ack("same");
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->get("error.code"), "unknown_conversation");
  EXPECT_EQ(second->get("status"), "ok") << second->raw;
}

TEST_F(ServerTest, AClientThatHalfClosesStillGetsEveryAck) {
  wire_client gateway;
  connect(gateway, "gateway");
  for (int i = 0; i < 50; ++i) {
    gateway.send_line(R"({"type":"customer.message","id":"hc-)" + std::to_string(i)
                      + R"(","conv":"hc","text":"hi"})");
  }
  gateway.finish_sending();
  for (int i = 0; i < 50; ++i) {
    auto ack = gateway.ack("hc-" + std::to_string(i));
    ASSERT_TRUE(ack.has_value()) << i;
    EXPECT_EQ(ack->get("status"), "ok");
  }
  gateway.pump(milliseconds{1000});
  EXPECT_TRUE(gateway.closed());
}

TEST_F(ServerTest, ARejectedCustomerEventDoesNotMoveTheConversationToItsGateway) {
  wire_client first, second, agent;
  connect(first, "gateway");
  connect(second, "gateway");
  connect(agent, "agent", "ana");
  agent.send_line(R"({"type":"agent.status","id":"s","agent":"ana","status":"available"})");
  ASSERT_TRUE(agent.ack("s"));
  first.send_line(R"({"type":"customer.message","id":"g1","conv":"carried","text":"fraud!"})");
  ASSERT_TRUE(first.ack("g1"));
  auto offer = agent.wait_for([](const frame& f) { return f.get("type") == "agent.offer"; });
  ASSERT_TRUE(offer.has_value());
  agent.send_line(R"({"type":"agent.accept","id":"acc","conv":"carried","agent":"ana","offer":")"
                  + offer->get("offer") + "\"}");
  ASSERT_TRUE(agent.ack("acc"));

  // The second gateway's events are refused: a duplicate, and an unknown tier.
  second.send_line(R"({"type":"customer.message","id":"g1","conv":"carried","text":"again"})");
  second.send_line(
      R"({"type":"customer.message","id":"g2","conv":"carried","text":"x","tier":"gold"})");
  auto duplicate = second.ack("g1");
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_EQ(duplicate->get("status"), "duplicate");
  ASSERT_TRUE(second.ack("g2"));

  agent.send_line(R"({"type":"agent.reply","id":"r","conv":"carried","agent":"ana","text":"hi"})");
  ASSERT_TRUE(agent.ack("r"));
  auto reply = first.wait_for([](const frame& f) {
    return f.get("type") == "customer.deliver" && f.get("from") == "agent";
  });
  EXPECT_TRUE(reply.has_value()) << "the reply must reach the gateway that carries the chat";
}

TEST_F(ServerTest, ACustomerReconnectingOnTheSameChannelContinuesTheConversation) {
  wire_client supervisor, gateway;
  connect(supervisor, "supervisor");
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"s1","conv":"web-session-1","text":"hi",)"
                    R"("customer":"cust-9","channel":"webchat"})");
  ASSERT_TRUE(gateway.ack("s1"));
  // The browser reconnects and the gateway starts a new session id for the same customer.
  gateway.send_line(R"({"type":"customer.message","id":"s2","conv":"web-session-2",)"
                    R"("text":"still me","customer":"cust-9","channel":"webchat"})");
  auto ack = gateway.ack("s2");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->get("status"), "ok");
  gateway.send_line(R"({"type":"customer.left","id":"s3","conv":"web-session-2"})");
  ASSERT_TRUE(gateway.ack("s3"));

  auto left = supervisor.wait_for([](const frame& f) { return f.get("state") == "abandoned"; });
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->get("conv"), "web-session-1");
  supervisor.pump(milliseconds{200});
  for (const auto& f : supervisor.backlog()) {
    EXPECT_NE(f.get("conv"), "web-session-2") << "no second conversation was opened";
  }
}

TEST_F(ServerTest, AnOversizedFrameBeforeHelloIsUnauthorized) {
  wire_client early;
  ASSERT_TRUE(early.connect(server_.port()));
  early.send_line(std::string(70000, 'x'));
  auto rejected = early.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->get("error.code"), "unauthorized");
  early.pump(milliseconds{1000});
  EXPECT_TRUE(early.closed());
}

TEST(IdleCustomer, IsWarnedThenClosedAsAbandoned) {
  server_process server;
  ASSERT_TRUE(server.start(
      {"--set", "tiers.standard.idle_warning=300ms", "--set", "tiers.standard.idle_close=600ms"}))
      << server.log();
  wire_client supervisor, gateway;
  ASSERT_TRUE(supervisor.connect(server.port()));
  ASSERT_TRUE(supervisor.hello("supervisor", "supervisor-dev-token"));
  ASSERT_TRUE(gateway.connect(server.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));

  gateway.send_line(R"({"type":"customer.message","id":"i1","conv":"quiet","text":"hello"})");
  ASSERT_TRUE(gateway.ack("i1"));
  auto warning = gateway.wait_for([](const frame& f) {
    return f.get("type") == "customer.deliver" && f.get("from") == "router";
  });
  ASSERT_TRUE(warning.has_value()) << server.log();
  auto closed = supervisor.wait_for([](const frame& f) {
    return f.get("type") == "conversation.state" && f.get("state") == "abandoned";
  });
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->get("reason"), "inactive");
  EXPECT_EQ(server.stop(), 0);
}

TEST(QueueLimit, AFullQueueLeavesTheConversationWithTheBot) {
  server_process server;
  ASSERT_TRUE(server.start({"--set", "tiers.standard.max_queue=1"})) << server.log();
  wire_client supervisor, gateway;
  ASSERT_TRUE(supervisor.connect(server.port()));
  ASSERT_TRUE(supervisor.hello("supervisor", "supervisor-dev-token"));
  ASSERT_TRUE(gateway.connect(server.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));

  // No agent is connected, so the first escalation fills the queue.
  for (const char* conv : {"full-1", "full-2"}) {
    gateway.send_line(R"({"type":"customer.message","id":")" + std::string(conv) + R"(","conv":")"
                      + conv + R"(","text":"I need to report fraud on my card"})");
    ASSERT_TRUE(gateway.ack(conv));
    ASSERT_TRUE(supervisor.wait_for(
        [&](const frame& f) { return f.get("conv") == conv && f.get("state") == "queued"; }));
  }
  auto kept = supervisor.wait_for([](const frame& f) {
    return f.get("conv") == "full-2" && f.get("type") == "conversation.state"
           && f.get("state") == "bot" && f.get("reason") == "queue_full";
  });
  EXPECT_TRUE(kept.has_value());
  auto notice = gateway.wait_for(
      [](const frame& f) { return f.get("conv") == "full-2" && f.get("from") == "router"; });
  EXPECT_TRUE(notice.has_value());
  EXPECT_EQ(server.stop(), 0);
}

TEST(Retention, AFinishedConversationAndItsIdsAreDeletedOnceTheirRetentionIsOver) {
  server_process server;
  const std::vector<std::string> args = {
      "--set", "tiers.standard.resume_window=200ms", "--set",       "journal.retention=1s",
      "--set", "journal.retention_sweep=100ms",      "--log-level", "debug"};
  ASSERT_TRUE(server.start(args)) << server.log();
  wire_client supervisor, gateway;
  ASSERT_TRUE(supervisor.connect(server.port()));
  ASSERT_TRUE(supervisor.hello("supervisor", "supervisor-dev-token"));
  ASSERT_TRUE(gateway.connect(server.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));

  const std::string message =
      R"({"type":"customer.message","id":"kept-1","conv":"gone","text":"weather?"})";
  gateway.send_line(message);
  ASSERT_TRUE(gateway.ack("kept-1"));
  ASSERT_TRUE(supervisor.wait_for([](const frame& f) { return f.get("state") == "resolved"; }));
  EXPECT_EQ(metric_value(server.http_port(), "blendroute_carried_conversations"), 1);

  // Bounded wait: resume window 200 ms, then retention 1 s, swept every 100 ms.
  bool swept = false;
  for (int i = 0; i < 100 && !swept; ++i) {
    std::this_thread::sleep_for(milliseconds{50});
    swept = server.log().find("retention_swept conversations=1") != std::string::npos;
  }
  ASSERT_TRUE(swept) << server.log();
  // Nor does the router remember which gateway carried it.
  EXPECT_EQ(metric_value(server.http_port(), "blendroute_carried_conversations"), 0);

  // The same id is new again, and the conversation starts afresh: its history is gone.
  gateway.send_line(message);
  auto again = gateway.ack("kept-1");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->get("status"), "ok") << again->raw;
  auto opened = supervisor.wait_for([](const frame& f) {
    return f.get("conv") == "gone" && f.get("state") == "bot" && f.get("reason") == "opened";
  });
  EXPECT_TRUE(opened.has_value()) << server.log();
  EXPECT_EQ(server.stop(), 0);

  std::string report;
  std::vector<std::string> verify = args;
  verify.insert(verify.end(), {"journal", "verify"});
  EXPECT_EQ(server.run_tool(verify, report), 0) << report;
}

TEST(Passivation, AFinishedConversationLeavesMemoryAndAReturningCustomerContinuesItsHistory) {
  server_process server;
  ASSERT_TRUE(server.start({"--set", "tiers.standard.resume_window=300ms", "--log-level", "debug"}))
      << server.log();
  wire_client supervisor, gateway;
  ASSERT_TRUE(supervisor.connect(server.port()));
  ASSERT_TRUE(supervisor.hello("supervisor", "supervisor-dev-token"));
  ASSERT_TRUE(gateway.connect(server.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));

  gateway.send_line(R"({"type":"customer.message","id":"p1","conv":"short","text":"weather?"})");
  ASSERT_TRUE(gateway.ack("p1"));
  auto first = gateway.wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(supervisor.wait_for([](const frame& f) { return f.get("state") == "resolved"; }));
  // A CSAT inside the resume window still reaches the conversation.
  gateway.send_line(R"({"type":"customer.csat","id":"p2","conv":"short","score":5})");
  auto csat = gateway.ack("p2");
  ASSERT_TRUE(csat.has_value());
  EXPECT_EQ(csat->get("status"), "ok");

  // Bounded wait for the passivation (resume window 300 ms); after it the same id starts a
  // new episode that follows on from the journaled one.
  bool passivated = false;
  for (int i = 0; i < 100 && !passivated; ++i) {
    std::this_thread::sleep_for(milliseconds{50});
    passivated = server.log().find("conversation_passivated conv=short") != std::string::npos;
  }
  ASSERT_TRUE(passivated) << server.log();
  gateway.send_line(R"({"type":"customer.message","id":"p3","conv":"short","text":"weather?"})");
  ASSERT_TRUE(gateway.ack("p3"));
  auto follow_up = supervisor.wait_for([](const frame& f) {
    return f.get("conv") == "short" && f.get("state") == "bot" && f.get("reason") == "follow_up";
  });
  ASSERT_TRUE(follow_up.has_value()) << server.log();
  auto second =
      gateway.wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->get("delivery"), first->get("delivery"));
  EXPECT_EQ(server.stop(), 0);

  // The journal holds both episodes in an order that rebuilds without a refusal.
  std::string report;
  EXPECT_EQ(
      server.run_tool({"--set", "tiers.standard.resume_window=300ms", "journal", "verify"}, report),
      0)
      << report;
}

TEST_F(ServerTest, WrongTokenIsUnauthorizedAndClosesTheConnection) {
  wire_client intruder;
  ASSERT_TRUE(intruder.connect(server_.port()));
  auto answer = intruder.hello("admin", "guess");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->get("error.code"), "unauthorized");
  intruder.pump(milliseconds{1000});
  EXPECT_TRUE(intruder.closed());

  wire_client early;
  ASSERT_TRUE(early.connect(server_.port()));
  early.send_line(R"({"type":"customer.message","id":"m","conv":"c","text":"hi"})");
  auto rejected = early.ack("m");
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->get("error.code"), "unauthorized");
}

TEST_F(ServerTest, AHelloOfUpTo4096BytesIsWelcomedAndALongerFirstFrameIsRefused) {
  auto hello_of = [](std::size_t bytes) {
    std::string line = R"({"type":"hello","role":"gateway","token":"gateway-dev-token","pad":")";
    const std::string end = "\"}";
    line += std::string(bytes - line.size() - end.size(), 'a');
    return line + end;
  };
  wire_client fits;
  ASSERT_TRUE(fits.connect(server_.port()));
  fits.send_line(hello_of(4096));
  EXPECT_TRUE(fits.wait_for([](const frame& f) { return f.get("type") == "welcome"; }));

  wire_client longer;
  ASSERT_TRUE(longer.connect(server_.port()));
  longer.send_line(hello_of(4097));
  auto refused = longer.wait_for([](const frame& f) { return f.get("type") == "ack"; });
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->get("error.code"), "unauthorized");
  EXPECT_NE(refused->raw.find("at most 4096 bytes"), std::string::npos) << refused->raw;
  longer.pump(milliseconds{1000});
  EXPECT_TRUE(longer.closed());
}

TEST_F(ServerTest, AcceptingAStaleOfferIsRejected) {
  wire_client agent, gateway;
  connect(agent, "agent", "ana");
  connect(gateway, "gateway");
  agent.send_line(R"({"type":"agent.status","id":"s","agent":"ana","status":"available"})");
  ASSERT_TRUE(agent.ack("s"));
  gateway.send_line(
      R"({"type":"customer.message","id":"m1","conv":"c9","text":"fraud on my card"})");
  ASSERT_TRUE(gateway.ack("m1"));
  auto offer = agent.wait_for([](const frame& f) { return f.get("type") == "agent.offer"; });
  ASSERT_TRUE(offer.has_value());

  agent.send_line(R"({"type":"agent.accept","id":"x1","conv":"c9","agent":"ana","offer":"old"})");
  auto stale = agent.ack("x1");
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->get("error.code"), "stale_offer");

  agent.send_line(R"({"type":"agent.accept","id":"x1","conv":"c9","agent":"ana","offer":")"
                  + offer->get("offer") + "\"}");
  auto accepted = agent.ack("x1");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->get("status"), "ok") << "a rejected id may be used again";

  agent.send_line(R"({"type":"agent.reply","id":"r1","conv":"c9","agent":"ana","text":"hello"})");
  ASSERT_TRUE(agent.ack("r1"));
  wire_client other;
  connect(other, "agent", "bob");
  other.send_line(R"({"type":"agent.reply","id":"r2","conv":"c9","agent":"bob","text":"me too"})");
  auto not_owner = other.ack("r2");
  ASSERT_TRUE(not_owner.has_value());
  EXPECT_EQ(not_owner->get("error.code"), "not_owner");
}

TEST_F(ServerTest, AcceptedIdsStayDuplicatesAfterACrash) {
  {
    wire_client gateway;
    connect(gateway, "gateway");
    gateway.send_line(R"({"type":"customer.message","id":"once","conv":"k1","text":"hi"})");
    auto ack = gateway.ack("once");
    ASSERT_TRUE(ack.has_value());
    ASSERT_EQ(ack->get("status"), "ok");
  }
  server_.kill_now();
  ASSERT_TRUE(server_.start()) << server_.log();

  wire_client gateway;
  connect(gateway, "gateway");
  gateway.send_line(R"({"type":"customer.message","id":"once","conv":"k1","text":"hi"})");
  auto ack = gateway.ack("once");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->get("status"), "duplicate");
}

}  // namespace
}  // namespace blendroute::testing
