// The real server killed with SIGKILL and started again on the same journal (DESIGN.md §6).
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/conversation_snapshot.hpp"
#include "persist/journal.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

const std::string fraud = "I need to report fraud on my card";

/// A gateway, an agent and a supervisor connected to one server.
struct connections {
  wire_client supervisor;
  wire_client gateway;
  wire_client agent;

  ::testing::AssertionResult connect(const server_process& server) {
    if (!supervisor.connect(server.port())
        || !supervisor.hello("supervisor", "supervisor-dev-token")
        || !gateway.connect(server.port()) || !gateway.hello("gateway", "gateway-dev-token")
        || !agent.connect(server.port()) || !agent.hello("agent", "agent-dev-token", "agent-01")) {
      return ::testing::AssertionFailure() << "could not connect: " << server.log();
    }
    return ::testing::AssertionSuccess();
  }

  std::optional<frame> customer(const std::string& conv, const std::string& id,
                                const std::string& text) {
    gateway.send_line(R"({"type":"customer.message","id":")" + id + R"(","conv":")" + conv
                      + R"(","customer":")" + conv + R"(","channel":"webchat","text":")" + text
                      + "\"}");
    return gateway.ack(id);
  }

  std::optional<frame> state(const std::string& conv, const std::string& wanted) {
    return supervisor.wait_for([&](const frame& f) {
      return f.get("type") == "conversation.state" && f.get("conv") == conv
             && f.get("state") == wanted;
    });
  }
};

std::string status_ok(const std::optional<frame>& ack) {
  return ack ? ack->get("status") : std::string("no ack");
}

TEST(Recovery, ACustomerWritingUnderAnAliasAfterAKillContinuesTheSameConversation) {
  server_process server;
  ASSERT_TRUE(server.start()) << server.log();
  const auto message = [](const std::string& conv, const std::string& id, const std::string& text) {
    return R"({"type":"customer.message","id":")" + id + R"(","conv":")" + conv
           + R"(","customer":"cust-9","channel":"sms","text":")" + text + "\"}";
  };
  const auto reply_to = [](const std::string& conv) {
    return [conv](const frame& f) {
      return f.get("type") == "customer.deliver" && f.get("conv") == conv;
    };
  };
  {
    connections before;
    ASSERT_TRUE(before.connect(server));
    before.gateway.send_line(message("first", "m1", "hello there"));
    ASSERT_EQ(status_ok(before.gateway.ack("m1")), "ok");
    ASSERT_TRUE(before.gateway.wait_for(reply_to("first")));
    // The customer's new session on the same channel comes with a new id: an alias.
    before.gateway.send_line(message("second", "m2", "me again"));
    ASSERT_EQ(status_ok(before.gateway.ack("m2")), "ok");
    ASSERT_TRUE(before.gateway.wait_for(reply_to("first")));
  }
  server.kill_now();

  ASSERT_TRUE(server.start()) << server.log();
  connections after;
  ASSERT_TRUE(after.connect(server));
  after.gateway.send_line(message("second", "m3", "still there?"));
  ASSERT_EQ(status_ok(after.gateway.ack("m3")), "ok");
  auto reply =
      after.gateway.wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
  ASSERT_TRUE(reply.has_value()) << server.log();
  EXPECT_EQ(reply->get("conv"), "first") << "the alias opened a conversation of its own";
}

TEST(Recovery, AfterAKillEveryOpenConversationComesBackWithItsOwnerQueueAndBot) {
  server_process server;
  ASSERT_TRUE(server.start()) << server.log();
  {
    connections before;
    ASSERT_TRUE(before.connect(server));
    before.agent.send_line(
        R"({"type":"agent.status","id":"s1","agent":"agent-01","status":"available","capacity":1})");
    ASSERT_EQ(status_ok(before.agent.ack("s1")), "ok");

    // owned: escalated, offered and accepted by the only agent.
    ASSERT_EQ(status_ok(before.customer("owned", "owned-1", fraud)), "ok");
    auto offer = before.agent.wait_for(
        [](const frame& f) { return f.get("type") == "agent.offer" && f.get("conv") == "owned"; });
    ASSERT_TRUE(offer.has_value());
    before.agent.send_line(R"({"type":"agent.accept","id":"accept-1","conv":"owned",)"
                           R"("agent":"agent-01","offer":")"
                           + offer->get("offer") + "\"}");
    ASSERT_EQ(status_ok(before.agent.ack("accept-1")), "ok");
    ASSERT_TRUE(before.state("owned", "agent"));

    // waiting: escalated while the agent is full, so it stays queued.
    ASSERT_EQ(status_ok(before.customer("waiting", "waiting-1", fraud)), "ok");
    ASSERT_TRUE(before.state("waiting", "queued"));

    // chatting: still with the bot.
    ASSERT_EQ(status_ok(before.customer("chatting", "chatting-1", "what is the weather today")),
              "ok");
    ASSERT_TRUE(before.gateway.wait_for([](const frame& f) {
      return f.get("type") == "customer.deliver" && f.get("conv") == "chatting";
    }));
  }
  server.kill_now();

  ASSERT_TRUE(server.start()) << server.log();
  EXPECT_NE(server.log().find("recovered conversations=3 queued=1 agents=1"), std::string::npos)
      << server.log();
  connections after;
  ASSERT_TRUE(after.connect(server));

  // A retried event is acknowledged as a duplicate and has no effect.
  EXPECT_EQ(status_ok(after.customer("waiting", "waiting-1", fraud)), "duplicate");

  // The owned conversation is still the agent's: the customer's message reaches it, and its
  // reply reaches the customer.
  ASSERT_EQ(status_ok(after.customer("owned", "owned-2", "are you still there?")), "ok");
  auto forwarded = after.agent.wait_for(
      [](const frame& f) { return f.get("type") == "agent.message" && f.get("conv") == "owned"; });
  ASSERT_TRUE(forwarded.has_value()) << server.log();
  after.agent.send_line(
      R"({"type":"agent.reply","id":"reply-1","conv":"owned","agent":"agent-01","text":"yes"})");
  ASSERT_EQ(status_ok(after.agent.ack("reply-1")), "ok");

  // The agent's capacity is still taken by it, so the queued conversation waits...
  after.agent.pump(milliseconds{300});
  for (const auto& f : after.agent.backlog()) {
    EXPECT_FALSE(f.get("type") == "agent.offer" && f.get("conv") == "waiting") << f.raw;
  }
  // ...until the agent resolves it; then the queued one is offered, in the same queue.
  after.agent.send_line(R"({"type":"agent.resolve","id":"resolve-1","conv":"owned",)"
                        R"("agent":"agent-01","disposition":"resolved"})");
  ASSERT_EQ(status_ok(after.agent.ack("resolve-1")), "ok");
  EXPECT_TRUE(after.agent.wait_for([](const frame& f) {
    return f.get("type") == "agent.offer" && f.get("conv") == "waiting";
  })) << server.log();

  // The bot's conversation goes on with the bot.
  ASSERT_EQ(status_ok(after.customer("chatting", "chatting-2", "and tomorrow?")), "ok");
  EXPECT_TRUE(after.gateway.wait_for([](const frame& f) {
    return f.get("type") == "customer.deliver" && f.get("conv") == "chatting"
           && f.get("from") == "bot";
  }));
  EXPECT_EQ(server.stop(), 0);

  // The journal written across the crash explains itself.
  std::string report;
  EXPECT_EQ(server.run_tool({"journal", "verify"}, report), 0) << report;
  EXPECT_NE(report.find("verified conversations=3 open=2"), std::string::npos) << report;

  // A record the state machine would never have taken is found and named.
  {
    config cfg = default_config();
    cfg.journal.path = server.journal_dir();
    auto journal = persist::open_rocksdb_journal(cfg.journal);
    ASSERT_TRUE(journal.ok()) << journal.err().message;
    persist::journal_record forged;
    forged.conv = "chatting";
    forged.payload = R"({"kind":"event","at":1,"type":"agent.accept","id":"forged",)"
                     R"("agent":"agent-99","offer":"o-none"})";
    std::promise<bool> written;
    (*journal)->append({forged}, [&](const result<void>& r) { written.set_value(r.ok()); });
    ASSERT_TRUE(written.get_future().get());
    (*journal)->close();
  }
  EXPECT_EQ(server.run_tool({"journal", "verify"}, report), 1) << report;
  EXPECT_NE(report.find("conversation chatting: record 5: agent.accept forged refused"),
            std::string::npos)
      << report;
}

TEST(Recovery, AConversationRestoredFromItsSnapshotGoesOnWithItsAgent) {
  server_process server;
  // Snapshot anything restored from two records or more.
  const std::vector<std::string> args = {"--set", "journal.snapshot_records=2"};
  ASSERT_TRUE(server.start(args)) << server.log();
  {
    connections before;
    ASSERT_TRUE(before.connect(server));
    before.agent.send_line(
        R"({"type":"agent.status","id":"s1","agent":"agent-01","status":"available","capacity":1})");
    ASSERT_EQ(status_ok(before.agent.ack("s1")), "ok");
    ASSERT_EQ(status_ok(before.customer("long", "long-1", "what is the weather today")), "ok");
    ASSERT_TRUE(before.gateway.wait_for([](const frame& f) {
      return f.get("type") == "customer.deliver" && f.get("conv") == "long";
    }));
    ASSERT_EQ(status_ok(before.customer("long", "long-2", fraud)), "ok");
    auto offer = before.agent.wait_for(
        [](const frame& f) { return f.get("type") == "agent.offer" && f.get("conv") == "long"; });
    ASSERT_TRUE(offer.has_value()) << server.log();
    before.agent.send_line(R"({"type":"agent.accept","id":"accept-1","conv":"long",)"
                           R"("agent":"agent-01","offer":")"
                           + offer->get("offer") + "\"}");
    ASSERT_EQ(status_ok(before.agent.ack("accept-1")), "ok");
    ASSERT_TRUE(before.state("long", "agent"));
  }
  server.kill_now();

  // The first restart replays the whole journal and snapshots the conversation...
  ASSERT_TRUE(server.start(args)) << server.log();
  EXPECT_NE(server.log().find("from_snapshots=0 snapshots_saved=1"), std::string::npos)
      << server.log();
  server.kill_now();
  // ...the second starts from the snapshot, with nothing after it to read.
  ASSERT_TRUE(server.start(args)) << server.log();
  EXPECT_NE(server.log().find("recovered conversations=1 queued=0 agents=1 finished_left_alone=0 "
                              "unreadable=0 records=0 from_snapshots=1"),
            std::string::npos)
      << server.log();

  connections after;
  ASSERT_TRUE(after.connect(server));
  EXPECT_EQ(status_ok(after.customer("long", "long-2", fraud)), "duplicate");
  ASSERT_EQ(status_ok(after.customer("long", "long-3", "are you still there?")), "ok");
  ASSERT_TRUE(after.agent.wait_for([](const frame& f) {
    return f.get("type") == "agent.message" && f.get("conv") == "long";
  })) << server.log();
  after.agent.send_line(R"({"type":"agent.resolve","id":"resolve-1","conv":"long",)"
                        R"("agent":"agent-01","disposition":"resolved"})");
  ASSERT_EQ(status_ok(after.agent.ack("resolve-1")), "ok");
  ASSERT_TRUE(after.state("long", "resolved"));
  EXPECT_EQ(server.stop(), 0);
  std::string report;
  EXPECT_EQ(server.run_tool({"journal", "verify"}, report), 0) << report;
  EXPECT_NE(report.find("snapshots=1 problems=0"), std::string::npos) << report;

  // A snapshot that does not agree with the journal is found: recovery would start from it.
  {
    config cfg = default_config();
    cfg.journal.path = server.journal_dir();
    auto journal = persist::open_rocksdb_journal(cfg.journal);
    ASSERT_TRUE(journal.ok()) << journal.err().message;
    std::uint64_t through = 0;
    ASSERT_TRUE((*journal)
                    ->for_each_conversation_history(
                        [&](const std::string&, persist::conversation_history& history) {
                          through = history.last_sequence;
                        })
                    .ok());
    std::promise<bool> written;
    (*journal)->save_snapshot("long", through, encode_snapshot(conversation_rebuild("long")),
                              [&](const result<void>& r) { written.set_value(r.ok()); });
    ASSERT_TRUE(written.get_future().get());
    (*journal)->close();
  }
  EXPECT_EQ(server.run_tool({"journal", "verify"}, report), 1) << report;
  EXPECT_NE(report.find("conversation long: its snapshot and the records after it do not come to "
                        "the state its whole journal rebuilds"),
            std::string::npos)
      << report;
}

TEST(Recovery, AConversationThatGrewLongWhileTheServerRanIsSnapshottedInTheBackground) {
  server_process server;
  const std::vector<std::string> args = {"--set", "journal.snapshot_records=3", "--set",
                                         "journal.retention_sweep=200ms"};
  ASSERT_TRUE(server.start(args)) << server.log();
  {
    connections before;
    ASSERT_TRUE(before.connect(server));
    for (int i = 1; i <= 3; ++i) {
      const std::string id = "chat-" + std::to_string(i);
      ASSERT_EQ(status_ok(before.customer("chat", id, "what is the weather today")), "ok");
      ASSERT_TRUE(before.gateway.wait_for([](const frame& f) {
        return f.get("type") == "customer.deliver" && f.get("conv") == "chat";
      }));
    }
    // A few retention passes (bounded: 40 polls of 50 ms).
    for (int i = 0; i < 40; ++i) {
      before.supervisor.pump(milliseconds{50});
    }
  }
  server.kill_now();
  ASSERT_TRUE(server.start(args)) << server.log();
  EXPECT_NE(server.log().find("from_snapshots=1"), std::string::npos) << server.log();
  EXPECT_EQ(server.stop(), 0);
  std::string report;
  EXPECT_EQ(server.run_tool({"journal", "verify"}, report), 0) << report;
  EXPECT_NE(report.find("snapshots=1 problems=0"), std::string::npos) << report;
}

TEST(Recovery, ADeadlineThatPassedWhileTheServerWasDownFiresAtStart) {
  server_process server;
  const std::vector<std::string> args = {"--set", "tiers.standard.human_response=1s", "--log-level",
                                         "debug"};
  ASSERT_TRUE(server.start(args)) << server.log();
  {
    connections before;
    ASSERT_TRUE(before.connect(server));
    ASSERT_EQ(status_ok(before.customer("late", "late-1", fraud)), "ok");
    ASSERT_TRUE(before.state("late", "queued"));
  }
  server.kill_now();
  // Down for longer than the whole human-response SLA.
  std::this_thread::sleep_for(milliseconds{1500});
  ASSERT_TRUE(server.start(args)) << server.log();
  EXPECT_NE(server.log().find("overdue_deadlines=1 "), std::string::npos) << server.log();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (server.log().find("sla_breach conv=late sla=human_response level=1") == std::string::npos
         && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{50});
  }
  EXPECT_NE(server.log().find("sla_breach conv=late sla=human_response level=1"), std::string::npos)
      << server.log();
  // It fired before any supervisor could reconnect: the first one to connect still gets it.
  wire_client supervisor;
  ASSERT_TRUE(supervisor.connect(server.port()));
  ASSERT_TRUE(supervisor.hello("supervisor", "supervisor-dev-token"));
  const auto breach = supervisor.wait_for([](const frame& f) {
    return f.get("type") == "sla.breach" && f.get("conv") == "late"
           && f.get("sla") == "human_response";
  });
  EXPECT_TRUE(breach.has_value()) << server.log();
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace blendroute::testing
