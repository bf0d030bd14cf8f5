// The session broker: a customer back on the same channel continues a live conversation;
// after it is over, a new conversation id is a new contact.
#include "actors/session_broker.hpp"

#include <set>

#include <gtest/gtest.h>

namespace blendroute::actors {
namespace {

class SessionBrokerTest : public ::testing::Test {
protected:
  static ingress_event message(std::string conv, std::string customer = "cust-1") {
    ingress_event e;
    e.type = event_type::customer_message;
    e.conv = std::move(conv);
    e.customer = std::move(customer);
    e.channel = "webchat";
    return e;
  }

  std::string resolve(const ingress_event& e) {
    return broker_.resolve(e, [this](const std::string& conv) { return live_.count(conv) > 0; });
  }

  session_broker broker_;
  std::set<std::string> live_;  ///< Conversations with an actor.
};

TEST_F(SessionBrokerTest, ANewIdFromACustomerWithALiveConversationContinuesIt) {
  ASSERT_EQ(resolve(message("c1")), "c1");
  live_.insert("c1");
  EXPECT_EQ(resolve(message("c2")), "c1");
  ingress_event later = message("c2");
  later.type = event_type::customer_csat;
  EXPECT_EQ(resolve(later), "c1") << "the new id is an alias of the old one";
  EXPECT_EQ(resolve(message("c3", "cust-2")), "c3") << "another customer";
}

TEST_F(SessionBrokerTest, ANewIdAfterTheCustomersConversationIsOverIsANewContact) {
  ASSERT_EQ(resolve(message("c1")), "c1");
  // c1 finished and its actor was let go after the resume window.
  EXPECT_EQ(resolve(message("c2")), "c2");
  live_.insert("c2");
  EXPECT_EQ(resolve(message("c3")), "c2") << "the new contact is the customer's now";
}

TEST_F(SessionBrokerTest, ForgottenConversationsLeaveNoMapping) {
  ASSERT_EQ(resolve(message("c1")), "c1");
  live_.insert("c1");
  ASSERT_EQ(resolve(message("c2")), "c1");
  broker_.forget({"c1"});
  live_.clear();
  ingress_event csat = message("c2");
  csat.type = event_type::customer_csat;
  EXPECT_EQ(resolve(csat), "c2") << "the alias went with the conversation";
}

}  // namespace
}  // namespace blendroute::actors
