// Opening hours: SLA clocks that stop while the tier is closed, and the off-hours paths.
#include "core/business_hours.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/conversation.hpp"

namespace blendroute {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

/// A fixed offset from UTC, as a time zone without daylight saving.
class fixed_offset final : public zone_offsets {
public:
  explicit fixed_offset(duration offset) : offset_(offset) {}

  duration utc_offset(time_point) const override { return offset_; }

private:
  duration offset_;
};

/// Monday to Friday, 09:00–17:00, at UTC+1.
business_calendar office_hours() {
  business_calendar calendar;
  calendar.time_zone = "Test/UTC+1";
  for (int day = 0; day < 5; ++day) {
    calendar.weekly.push_back({day, 9 * 60, 17 * 60});
  }
  calendar.zone = std::make_shared<fixed_offset>(hours{1});
  return calendar;
}

/// 2026-12-04 is a Friday.
time_point friday_local(int hour, int minute, int second = 0) {
  std::int64_t day = 0;
  EXPECT_TRUE(parse_local_date("2026-12-04", day));
  return from_unix_ms(day * 86'400'000) + hours{hour} + minutes{minute} + seconds{second}
         - hours{1};
}

TEST(BusinessCalendar, IsOpenOnlyInsideItsWindows) {
  const business_calendar calendar = office_hours();
  EXPECT_FALSE(calendar.open_at(friday_local(8, 59, 59)));
  EXPECT_TRUE(calendar.open_at(friday_local(9, 0)));
  EXPECT_TRUE(calendar.open_at(friday_local(16, 59, 59)));
  EXPECT_FALSE(calendar.open_at(friday_local(17, 0)));
  EXPECT_FALSE(calendar.open_at(friday_local(12, 0) + hours{24}));  // Saturday.
}

TEST(BusinessCalendar, SlaClockPausesOutsideHoursAndResumesInside) {
  const business_calendar calendar = office_hours();
  // 30 s before Friday's closing, a 60 s SLA has 30 s left when Monday opens.
  const time_point deadline = calendar.after_open_time(friday_local(16, 59, 30), seconds{60});
  EXPECT_EQ(deadline, friday_local(9, 0, 30) + hours{24 * 3});
  // Started while closed, the clock starts at the opening.
  EXPECT_EQ(calendar.after_open_time(friday_local(7, 0), seconds{60}), friday_local(9, 1));
  // Inside the hours it is plain time.
  EXPECT_EQ(calendar.after_open_time(friday_local(10, 0), seconds{60}), friday_local(10, 1));
}

TEST(BusinessCalendar, HolidaysAreClosed) {
  business_calendar calendar = office_hours();
  std::int64_t friday = 0;
  ASSERT_TRUE(parse_local_date("2026-12-04", friday));
  calendar.holidays.push_back(friday);
  EXPECT_FALSE(calendar.open_at(friday_local(12, 0)));
  EXPECT_EQ(calendar.after_open_time(friday_local(12, 0), seconds{1}),
            friday_local(9, 0, 1) + hours{24 * 3});
}

TEST(BusinessCalendar, ParsesOpeningsAndDates) {
  int open = 0, close = 0;
  EXPECT_TRUE(parse_opening("08:30-24:00", open, close));
  EXPECT_EQ(open, 8 * 60 + 30);
  EXPECT_EQ(close, 24 * 60);
  EXPECT_FALSE(parse_opening("18:00-08:00", open, close));
  EXPECT_FALSE(parse_opening("8:00-18:00", open, close));
  std::int64_t days = 0;
  EXPECT_TRUE(parse_local_date("1970-01-02", days));
  EXPECT_EQ(days, 1);
  EXPECT_FALSE(parse_local_date("2026-13-01", days));
}

class OffHoursTest : public ::testing::Test {
protected:
  OffHoursTest() {
    tier_ = *default_config().find_tier("standard");
    tier_.hours = office_hours();
  }

  ingress_event message(std::string id) {
    ingress_event e;
    e.type = event_type::customer_message;
    e.id = std::move(id);
    e.conv = "c1";
    e.text = "hello";
    return e;
  }

  tier_policy tier_;
  conversation conv_{"c1"};
};

TEST_F(OffHoursTest, ClosedTierWithQueuePathQueuesNewConversationsWithANotice) {
  tier_.hours->off_hours = off_hours_path::queue;
  auto effects = conv_.apply(message("m1"), tier_, friday_local(20, 0));

  EXPECT_EQ(conv_.state(), conversation_state::queued);
  bool noticed = false;
  for (const auto& e : effects) {
    noticed |= e.what == effect::kind::to_gateway && e.frame.from == "router";
    EXPECT_NE(e.what, effect::kind::to_bot);
  }
  EXPECT_TRUE(noticed);
}

TEST_F(OffHoursTest, ClosedTierWithBotPathKeepsTheConversationWithTheBot) {
  const time_point night = friday_local(20, 0);
  conv_.apply(message("m1"), tier_, night);
  ingress_event handoff;
  handoff.type = event_type::bot_reply;
  handoff.id = "b1";
  handoff.conv = "c1";
  handoff.outcome = bot_outcome::handoff;
  auto effects = conv_.apply(handoff, tier_, night);

  EXPECT_EQ(conv_.state(), conversation_state::bot);
  bool noticed = false;
  for (const auto& e : effects) {
    noticed |= e.what == effect::kind::to_gateway && e.frame.from == "router";
    EXPECT_NE(e.what, effect::kind::enqueue);
  }
  EXPECT_TRUE(noticed);
}

TEST_F(OffHoursTest, EscalationJustBeforeClosingGetsADeadlineAfterTheWeekend) {
  conv_.apply(message("m1"), tier_, friday_local(16, 59, 30));
  ingress_event handoff;
  handoff.type = event_type::bot_reply;
  handoff.id = "b1";
  handoff.conv = "c1";
  handoff.outcome = bot_outcome::handoff;
  auto effects = conv_.apply(handoff, tier_, friday_local(16, 59, 30));

  const effect* timer = nullptr;
  for (const auto& e : effects) {
    if (e.what == effect::kind::arm_timer && e.sla == sla_kind::human_response) {
      timer = &e;
    }
  }
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->deadline, friday_local(9, 0, 30) + hours{24 * 3});
}

}  // namespace
}  // namespace blendroute
