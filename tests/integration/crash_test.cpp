// SIGKILL at random moments while conversations move between the bot, the queue and two
// agents (DESIGN.md §6). After every kill: every acknowledged event is in the journal, the
// journal explains itself (every conversation applies in order, nobody holds more than
// their capacity, no ingress id applied twice), every deadline that had passed while the
// server was down fired once it was back, and events acknowledged before the kill come back
// as duplicates when sent again.
#include <array>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

/// 20 rounds in CI; BLENDROUTE_CRASH_ROUNDS asks for more (or fewer).
int crash_rounds() {
  const char* asked = std::getenv("BLENDROUTE_CRASH_ROUNDS");
  const int rounds = asked != nullptr ? std::atoi(asked) : 0;
  return rounds > 0 ? rounds : 20;
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// One event a client sent: its line, and the conversation whose journal must hold it
/// (empty for an agent's status, which the journal keeps per agent).
struct sent_event {
  std::string line;
  std::string conv;
};

/// What one client sent, by event id, and which of it was acknowledged `ok`.
struct sent_events {
  std::map<std::string, sent_event> awaiting;
  std::map<std::string, sent_event> acked;

  void send(wire_client& client, const std::string& id, const std::string& conv,
            const std::string& line) {
    awaiting.emplace(id, sent_event{line, conv});
    client.send_line(line);
  }

  /// Consumes an ack frame; returns false for any other frame.
  bool take_ack(const frame& f) {
    if (f.get("type") != "ack") {
      return false;
    }
    auto it = awaiting.find(f.get("id"));
    if (it != awaiting.end()) {
      if (f.get("status") == "ok") {
        acked.insert(*it);
      }
      awaiting.erase(it);
    }
    return true;
  }
};

/// Plays customers and two agents against the server until it is killed.
class crash_driver {
public:
  explicit crash_driver(unsigned seed) : random_(seed) {}

  ::testing::AssertionResult connect(const server_process& server) {
    gateway_ = std::make_unique<wire_client>();
    if (!gateway_->connect(server.port()) || !gateway_->hello("gateway", "gateway-dev-token")) {
      return ::testing::AssertionFailure() << "gateway could not connect: " << server.log();
    }
    for (std::size_t i = 0; i < agent_names.size(); ++i) {
      agents_[i] = std::make_unique<wire_client>();
      if (!agents_[i]->connect(server.port())
          || !agents_[i]->hello("agent", "agent-dev-token", agent_names[i])) {
        return ::testing::AssertionFailure() << agent_names[i] << " could not connect";
      }
    }
    return ::testing::AssertionSuccess();
  }

  /// Sends again every event acknowledged in the previous round; each must come back as a
  /// duplicate: it is in the journal, and it does not take effect twice.
  void retry_acknowledged() {
    for (std::size_t i = 0; i <= agent_names.size(); ++i) {
      wire_client& client = i == 0 ? *gateway_ : *agents_[i - 1];
      sent_events& events = i == 0 ? gateway_events_ : agent_events_[i - 1];
      std::map<std::string, sent_event> lines = std::move(events.acked);
      events = {};
      for (const auto& [id, event] : lines) {
        client.send_line(event.line);
      }
      for (const auto& [id, event] : lines) {
        auto answer = client.ack(id);
        ASSERT_TRUE(answer.has_value()) << "no ack for the retried " << id;
        EXPECT_EQ(answer->get("status"), "duplicate") << event.line << " -> " << answer->raw;
      }
      retried_ += lines.size();
    }
  }

  /// Drives conversations for `length`: new ones (some contained by the bot, some needing
  /// a human), follow-ups, and the agents accepting, answering, transferring, resolving or
  /// passing back.
  void drive(int round, milliseconds length) {
    const auto deadline = std::chrono::steady_clock::now() + length;
    for (std::size_t i = 0; i < agent_names.size(); ++i) {
      const std::string id = "r" + std::to_string(round) + "-status-" + std::to_string(i);
      agent_events_[i].send(*agents_[i], id, "",
                            R"({"type":"agent.status","id":")" + id + R"(","agent":")"
                                + agent_names[i] + R"(","status":"available","capacity":3})");
    }
    int opened = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string conv = "k" + std::to_string(round) + "-" + std::to_string(opened % 6);
      const std::string id = conv + "-m" + std::to_string(opened++);
      const char* text =
          opened % 3 == 0 ? "what is the weather today" : "I need to report fraud on my card";
      gateway_events_.send(*gateway_, id, conv,
                           R"({"type":"customer.message","id":")" + id + R"(","conv":")" + conv
                               + R"(","customer":")" + conv + R"(","channel":"webchat","text":")"
                               + text + "\"}");
      gateway_->pump(milliseconds{5});
      for (const auto& f : gateway_->drain()) {
        gateway_events_.take_ack(f);
      }
      for (std::size_t i = 0; i < agent_names.size(); ++i) {
        agents_[i]->pump(milliseconds{2});
        for (const auto& f : agents_[i]->drain()) {
          if (!agent_events_[i].take_ack(f)) {
            act_as_agent(i, f);
          }
        }
      }
    }
  }

  /// Every event acknowledged `ok` since the last retry that the journal must hold, by
  /// conversation.
  std::map<std::string, std::set<std::string>> acknowledged_by_conversation() const {
    std::map<std::string, std::set<std::string>> out;
    auto add = [&](const sent_events& events) {
      for (const auto& [id, event] : events.acked) {
        if (!event.conv.empty()) {
          out[event.conv].insert(id);
        }
      }
    };
    add(gateway_events_);
    for (const auto& events : agent_events_) {
      add(events);
    }
    return out;
  }

  std::size_t retried() const { return retried_; }

private:
  static inline const std::array<std::string, 2> agent_names = {"agent-01", "agent-02"};

  void act_as_agent(std::size_t agent, const frame& f) {
    const std::string type = f.get("type");
    const std::string conv = f.get("conv");
    const std::string& me = agent_names[agent];
    const std::string id = me + "-a" + std::to_string(++agent_actions_);
    std::string line;
    if (type == "agent.offer") {
      line = R"({"type":"agent.accept","id":")" + id + R"(","conv":")" + conv + R"(","agent":")"
             + me + R"(","offer":")" + f.get("offer") + "\"}";
    } else if (type == "agent.assigned" || type == "agent.message") {
      static const char* const endings[] = {"reply", "resolve", "passback", "transfer"};
      const std::string ending = endings[std::uniform_int_distribution<int>(0, 3)(random_)];
      line = R"({"type":"agent.)" + ending + R"(","id":")" + id + R"(","conv":")" + conv
             + R"(","agent":")" + me + "\"";
      if (ending == "reply") {
        line += R"(,"text":"Looking into it now."})";
      } else if (ending == "resolve") {
        line += R"(,"disposition":"resolved"})";
      } else if (ending == "passback") {
        line += R"(,"note":"card blocked, bot can confirm"})";
      } else {
        line += R"(,"to_agent":")" + agent_names[1 - agent] + "\"}";
      }
    } else {
      return;
    }
    agent_events_[agent].send(*agents_[agent], id, conv, line);
  }

  std::mt19937 random_;
  std::unique_ptr<wire_client> gateway_;
  std::array<std::unique_ptr<wire_client>, 2> agents_;
  sent_events gateway_events_;
  std::array<sent_events, 2> agent_events_;
  int agent_actions_ = 0;
  std::size_t retried_ = 0;
};

/// Whether the journal holds every acknowledged event; lists what is missing.
::testing::AssertionResult journal_holds(
    const server_process& server, const std::vector<std::string>& args,
    const std::map<std::string, std::set<std::string>>& acknowledged) {
  if (acknowledged.empty()) {
    return ::testing::AssertionSuccess();
  }
  std::vector<std::string> inspect = args;
  inspect.insert(inspect.end(), {"journal", "inspect"});
  for (const auto& [conv, ids] : acknowledged) {
    inspect.push_back(conv);
  }
  std::string history;
  const int inspected = server.run_tool(inspect, history);
  if (inspected == 3) {
    return ::testing::AssertionFailure() << "journal inspect failed: " << history;
  }
  // With several conversations each line is `<conv>\t<record>`; with one, just the record.
  std::map<std::string, std::string> records_of;
  std::istringstream lines(history);
  for (std::string line; std::getline(lines, line);) {
    if (acknowledged.size() == 1) {
      records_of[acknowledged.begin()->first] += line + "\n";
    } else if (const auto tab = line.find('\t'); tab != std::string::npos) {
      records_of[line.substr(0, tab)] += line.substr(tab + 1) + "\n";
    }
  }
  std::string missing;
  for (const auto& [conv, ids] : acknowledged) {
    const std::string& records = records_of[conv];
    for (const auto& id : ids) {
      if (records.find("\"id\":\"" + id + "\"") == std::string::npos) {
        missing += " " + conv + "/" + id;
      }
    }
  }
  if (!missing.empty()) {
    return ::testing::AssertionFailure()
           << "acknowledged but not journaled:" << missing << "\njournal inspect exited "
           << inspected << ", its output begins:\n"
           << history.substr(0, 2000);
  }
  return ::testing::AssertionSuccess();
}

/// How much longer a round runs when the server is built with ThreadSanitizer, which slows
/// it several times: the deadlines that passed while it was down must have fired (and been
/// journaled) before the round's kill, and a round's 100–400 ms are not enough for that.
#if defined(__SANITIZE_THREAD__)  // GCC
constexpr int round_stretch = 8;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)  // Clang
constexpr int round_stretch = 8;
#else
constexpr int round_stretch = 1;
#endif
#else
constexpr int round_stretch = 1;
#endif

TEST(CrashTest, RandomKillsLoseNoAcknowledgedEventAndLeaveAJournalThatExplainsItself) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  crash_driver driver(seed);
  server_process server;
  // Short offers and human responses, so that deadlines pass while the server is down and
  // offers lost with a crash are made again within a round or two.
  const std::vector<std::string> args = {
      "--set", "tiers.standard.offer_accept=300ms", "--set", "tiers.priority.offer_accept=300ms",
      "--set", "tiers.standard.human_response=1s",  "--set", "tiers.priority.human_response=1s"};
  const int rounds = crash_rounds();
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_TRUE(server.start(args)) << server.log();
    // Every timer due before now had passed while the server was down (or before the
    // first start) and was fired at start.
    const std::int64_t back_at = now_unix_ms();
    ASSERT_TRUE(driver.connect(server));
    driver.retry_acknowledged();
    driver.drive(
        round, milliseconds{std::uniform_int_distribution<int>(100, 400)(random) * round_stretch});
    server.kill_now();

    EXPECT_TRUE(journal_holds(server, args, driver.acknowledged_by_conversation()));
    std::string report;
    std::vector<std::string> verify = args;
    verify.insert(verify.end(),
                  {"journal", "verify", "--timers-fired-by", std::to_string(back_at)});
    ASSERT_EQ(server.run_tool(verify, report), 0) << report;

    if (round % 4 == 3) {
      // A crash while the restart is still recovering: it journals the breaches of the
      // deadlines that passed meanwhile and snapshots what it restores.
      server.launch(args);
      std::this_thread::sleep_for(milliseconds{std::uniform_int_distribution<int>(0, 60)(random)});
      server.kill_now();
      EXPECT_TRUE(journal_holds(server, args, driver.acknowledged_by_conversation()))
          << "after a crash during recovery";
      std::vector<std::string> verify_again = args;
      verify_again.insert(verify_again.end(), {"journal", "verify"});
      ASSERT_EQ(server.run_tool(verify_again, report), 0)
          << "after a crash during recovery: " << report;
    }
  }
  ASSERT_TRUE(server.start(args)) << server.log();
  ASSERT_TRUE(driver.connect(server));
  driver.retry_acknowledged();
  EXPECT_GT(driver.retried(), 0u);
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace blendroute::testing
