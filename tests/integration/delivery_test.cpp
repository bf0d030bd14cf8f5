// Delivery ids over the wire (DESIGN.md §5): a frame is sent again until its receiver acks
// it, waits for a receiver that is away, and only its receiver may ack it.
#include <memory>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/server_process.hpp"
#include "tests/integration/wire_client.hpp"

namespace blendroute::testing {
namespace {

using std::chrono::milliseconds;

class DeliveryTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(server_.start()) << server_.log(); }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "server log:\n" << server_.log();
    }
  }

  std::unique_ptr<wire_client> connect(const std::string& role, const std::string& agent = {}) {
    auto client = std::make_unique<wire_client>();
    EXPECT_TRUE(client->connect(server_.port()));
    auto welcome = client->hello(role, role + "-dev-token", agent);
    EXPECT_TRUE(welcome.has_value() && welcome->get("type") == "welcome");
    return client;
  }

  server_process server_;
};

TEST_F(DeliveryTest, ACustomerReplyIsSentAgainUntilTheGatewayAcknowledgesIt) {
  auto gateway = connect("gateway");
  gateway->send_line(R"({"type":"customer.message","id":"w1","conv":"dl-1","text":"weather?"})");
  ASSERT_TRUE(gateway->ack("w1"));
  auto reply =
      gateway->wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
  ASSERT_TRUE(reply.has_value());
  const std::string delivery = reply->get("delivery");
  ASSERT_FALSE(delivery.empty());

  // Not acknowledged: the same delivery comes again after its first backoff (1 s).
  auto again = gateway->wait_for([&](const frame& f) { return f.get("delivery") == delivery; },
                                 milliseconds{3000});
  ASSERT_TRUE(again.has_value()) << "the reply was not sent again";
  EXPECT_EQ(again->get("text"), reply->get("text"));

  gateway->send_line(R"({"type":"delivery.ack","id":"ack-1","delivery":")" + delivery + "\"}");
  auto acked = gateway->ack("ack-1");
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(acked->get("status"), "ok") << acked->raw;
  gateway->drain();
  gateway->pump(milliseconds{2500});
  for (const auto& f : gateway->backlog()) {
    EXPECT_NE(f.get("delivery"), delivery) << "sent again after its ack: " << f.raw;
  }
}

TEST_F(DeliveryTest, AnAgentWhoseConnectionDroppedIsOfferedNothingUntilItReconnects) {
  auto agent = connect("agent", "ana");
  agent->send_line(
      R"({"type":"agent.status","id":"s1","agent":"ana","status":"available","capacity":1})");
  ASSERT_TRUE(agent->ack("s1"));
  agent.reset();  // The connection drops; the agent stays available.

  auto gateway = connect("gateway");
  gateway->send_line(
      R"({"type":"customer.message","id":"f1","conv":"dl-2","text":"I need to report fraud on my card"})");
  ASSERT_TRUE(gateway->ack("f1"));
  std::this_thread::sleep_for(milliseconds{200});  // Queued: ana is away.

  auto back = connect("agent", "ana");
  auto offer = back->wait_for([](const frame& f) { return f.get("type") == "agent.offer"; },
                              milliseconds{3000});
  ASSERT_TRUE(offer.has_value()) << "no offer once ana was back";
  EXPECT_EQ(offer->get("conv"), "dl-2");

  // Only its receiver may acknowledge it.
  gateway->send_line(R"({"type":"delivery.ack","id":"wrong","delivery":")" + offer->get("delivery")
                     + "\"}");
  auto refused = gateway->ack("wrong");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->get("error.code"), "not_owner") << refused->raw;
  back->send_line(R"({"type":"delivery.ack","id":"right","delivery":")" + offer->get("delivery")
                  + "\"}");
  auto accepted = back->ack("right");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->get("status"), "ok") << accepted->raw;
}

TEST_F(DeliveryTest, AnOfferTheAgentAnsweredIsNotSentToItAgain) {
  auto ana = connect("agent", "ana");
  auto bob = connect("agent", "bob");
  for (auto* agent : {ana.get(), bob.get()}) {
    const std::string id = agent == ana.get() ? "ana" : "bob";
    agent->send_line(R"({"type":"agent.status","id":"s-)" + id + R"(","agent":")" + id
                     + R"(","status":"available","capacity":1})");
    ASSERT_TRUE(agent->ack("s-" + id));
  }
  auto gateway = connect("gateway");
  gateway->send_line(
      R"({"type":"customer.message","id":"f3","conv":"dl-3","text":"I need to report fraud on my card"})");
  ASSERT_TRUE(gateway->ack("f3"));

  // Whoever gets the offer declines it without acknowledging its delivery; the other one
  // accepts the next offer, again without acknowledging it.
  std::unique_ptr<wire_client>* first = nullptr;
  std::optional<frame> offer;
  for (int i = 0; i < 30 && !offer; ++i) {
    for (auto* agent : {&ana, &bob}) {
      if (!offer) {
        offer = (*agent)->wait_for([](const frame& f) { return f.get("type") == "agent.offer"; },
                                   milliseconds{100});
        first = agent;
      }
    }
  }
  ASSERT_TRUE(offer.has_value()) << "nobody was offered the conversation";
  auto& second = first == &ana ? bob : ana;
  const std::string first_id = first == &ana ? "ana" : "bob";
  const std::string second_id = first == &ana ? "bob" : "ana";
  (*first)->send_line(R"({"type":"agent.decline","id":"d3","conv":"dl-3","agent":")" + first_id
                      + R"(","offer":")" + offer->get("offer") + "\"}");
  auto declined = (*first)->ack("d3");
  ASSERT_TRUE(declined.has_value());
  ASSERT_EQ(declined->get("status"), "ok") << declined->raw;

  auto next = second->wait_for([](const frame& f) { return f.get("type") == "agent.offer"; },
                               milliseconds{3000});
  ASSERT_TRUE(next.has_value()) << "the declined conversation was not offered to the other";
  second->send_line(R"({"type":"agent.accept","id":"a3","conv":"dl-3","agent":")" + second_id
                    + R"(","offer":")" + next->get("offer") + "\"}");
  auto accepted = second->ack("a3");
  ASSERT_TRUE(accepted.has_value());
  ASSERT_EQ(accepted->get("status"), "ok") << accepted->raw;

  // Past the first two backoffs (1 s, then 2 s): neither offer comes again.
  (*first)->drain();
  second->drain();
  (*first)->pump(milliseconds{3500});
  second->pump(milliseconds{100});
  for (auto* agent : {first, &second}) {
    for (const auto& f : (*agent)->backlog()) {
      EXPECT_NE(f.get("type"), "agent.offer") << "an answered offer was sent again: " << f.raw;
    }
  }
}

TEST_F(DeliveryTest, ARequestLeftByABotThatDisconnectsIsAnsweredByTheEmbeddedBot) {
  auto bot = connect("bot");
  auto gateway = connect("gateway");
  gateway->send_line(R"({"type":"customer.message","id":"b1","conv":"db-1","text":"weather?"})");
  ASSERT_TRUE(gateway->ack("b1"));
  auto request = bot->wait_for([](const frame& f) { return f.get("type") == "bot.request"; });
  ASSERT_TRUE(request.has_value()) << "the remote bot gets the request first";
  bot.reset();  // Gone without answering or acking.

  auto reply = gateway->wait_for(
      [](const frame& f) { return f.get("type") == "customer.deliver" && f.get("from") == "bot"; },
      milliseconds{3000});
  ASSERT_TRUE(reply.has_value()) << "nobody answered after the bot left";
}

TEST_F(DeliveryTest, ABotThatAnsweredButDidNotAckIsNotAnsweredForAgain) {
  auto bot = connect("bot");
  auto gateway = connect("gateway");
  gateway->send_line(R"({"type":"customer.message","id":"b2","conv":"db-2","text":"weather?"})");
  ASSERT_TRUE(gateway->ack("b2"));
  auto request = bot->wait_for([](const frame& f) { return f.get("type") == "bot.request"; });
  ASSERT_TRUE(request.has_value());
  bot->send_line(
      R"({"type":"bot.reply","id":"r2","conv":"db-2","text":"Sunny.","outcome":"continue"})");
  auto replied = bot->ack("r2");
  ASSERT_TRUE(replied.has_value());
  ASSERT_EQ(replied->get("status"), "ok") << replied->raw;
  bot.reset();

  auto answer = gateway->wait_for([](const frame& f) { return f.get("text") == "Sunny."; });
  ASSERT_TRUE(answer.has_value());
  gateway->pump(milliseconds{1500});
  for (const auto& f : gateway->backlog()) {
    // The same reply comes again until the gateway acks it; another one must not come.
    if (f.get("type") == "customer.deliver") {
      EXPECT_EQ(f.get("delivery"), answer->get("delivery")) << "a second answer: " << f.raw;
    }
  }
}

TEST(DeliveryRecovery, AReplyNotAcknowledgedBeforeACrashIsSentAgainAfterIt) {
  server_process server;
  ASSERT_TRUE(server.start()) << server.log();
  std::string delivery;
  {
    wire_client gateway;
    ASSERT_TRUE(gateway.connect(server.port()));
    ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));
    gateway.send_line(R"({"type":"customer.message","id":"r1","conv":"dr-1","text":"weather?"})");
    ASSERT_TRUE(gateway.ack("r1"));
    auto reply =
        gateway.wait_for([](const frame& f) { return f.get("type") == "customer.deliver"; });
    ASSERT_TRUE(reply.has_value());
    delivery = reply->get("delivery");
  }
  server.kill_now();

  ASSERT_TRUE(server.start()) << server.log();
  {
    wire_client gateway;
    ASSERT_TRUE(gateway.connect(server.port()));
    ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));
    auto again = gateway.wait_for([&](const frame& f) { return f.get("delivery") == delivery; },
                                  milliseconds{3000});
    ASSERT_TRUE(again.has_value()) << "the unacknowledged reply was lost with the crash";
    gateway.send_line(R"({"type":"delivery.ack","id":"ack-r1","delivery":")" + delivery + "\"}");
    auto acked = gateway.ack("ack-r1");
    ASSERT_TRUE(acked.has_value());
    EXPECT_EQ(acked->get("status"), "ok");
  }
  server.kill_now();

  ASSERT_TRUE(server.start()) << server.log();
  wire_client gateway;
  ASSERT_TRUE(gateway.connect(server.port()));
  ASSERT_TRUE(gateway.hello("gateway", "gateway-dev-token"));
  gateway.pump(milliseconds{1500});
  for (const auto& f : gateway.backlog()) {
    EXPECT_NE(f.get("delivery"), delivery) << "sent again after its ack: " << f.raw;
  }
  EXPECT_EQ(server.stop(), 0);
}

TEST(AgentConnection, AnOfferPendingToAnAgentWhoseConnectionDropsGoesToAnotherAtOnce) {
  server_process server;
  ASSERT_TRUE(server.start({"--set", "routing.agent_disconnect_grace=500ms"})) << server.log();
  auto connect = [&](const std::string& role, const std::string& agent = {}) {
    auto client = std::make_unique<wire_client>();
    EXPECT_TRUE(client->connect(server.port()));
    EXPECT_TRUE(client->hello(role, role + "-dev-token", agent).has_value());
    return client;
  };
  auto supervisor = connect("supervisor");
  auto ana = connect("agent", "ana");
  ana->send_line(
      R"({"type":"agent.status","id":"s-ana","agent":"ana","status":"available","capacity":1})");
  ASSERT_TRUE(ana->ack("s-ana"));
  auto gateway = connect("gateway");
  gateway->send_line(
      R"({"type":"customer.message","id":"f1","conv":"ac-1","text":"I need to report fraud on my card"})");
  ASSERT_TRUE(gateway->ack("f1"));
  ASSERT_TRUE(ana->wait_for([](const frame& f) { return f.get("type") == "agent.offer"; }));

  // Bob is there; ana's connection drops with the offer open.
  auto bob = connect("agent", "bob");
  bob->send_line(
      R"({"type":"agent.status","id":"s-bob","agent":"bob","status":"available","capacity":1})");
  ASSERT_TRUE(bob->ack("s-bob"));
  ana.reset();
  auto offer = bob->wait_for([](const frame& f) { return f.get("type") == "agent.offer"; },
                             milliseconds{2000});
  ASSERT_TRUE(offer.has_value()) << "the offer did not move on: " << server.log();
  EXPECT_EQ(offer->get("conv"), "ac-1");
  auto requeued = supervisor->wait_for(
      [](const frame& f) { return f.get("reason") == "agent_disconnected"; }, milliseconds{1000});
  EXPECT_TRUE(requeued.has_value());

  // Bob takes it; his connection drops too, and after the grace period he is offline:
  // the conversation goes back to its queue with its context.
  bob->send_line(R"({"type":"agent.accept","id":"acc","conv":"ac-1","agent":"bob","offer":")"
                 + offer->get("offer") + "\"}");
  ASSERT_TRUE(bob->ack("acc"));
  bob.reset();
  auto offline = supervisor->wait_for(
      [](const frame& f) {
        return f.get("conv") == "ac-1" && f.get("state") == "queued"
               && f.get("reason") == "agent_offline";
      },
      milliseconds{3000});
  EXPECT_TRUE(offline.has_value()) << server.log();
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace blendroute::testing
