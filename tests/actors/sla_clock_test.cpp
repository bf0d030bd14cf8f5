// The SLA clock fires a timer at its deadline's millisecond, never before, in deadline order.
#include "actors/sla_clock.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace blendroute::actors {
namespace {

using std::chrono::milliseconds;

class SlaClockTest : public ::testing::Test {
protected:
  SlaClockTest()
      : clock_([this] { return now_; },
               [this](const caf::actor_addr&, const timer_due& due) { fired_.push_back(due); },
               sla_clock::mode::manual) {}

  static timer_due sla_timer(sla_kind sla, time_point deadline) {
    return {timer_due::kind::sla, sla, deadline, 1};
  }

  time_point now_ = from_unix_ms(1'700'000'000'000);
  std::vector<timer_due> fired_;
  sla_clock clock_;
};

TEST_F(SlaClockTest, FiresAtTheDeadlineAndNotAMillisecondBefore) {
  const time_point deadline = now_ + milliseconds{5000};
  clock_.arm({}, sla_timer(sla_kind::bot_attempt, deadline), deadline);

  now_ = deadline - milliseconds{1};
  EXPECT_EQ(clock_.fire_due(), 0u);
  EXPECT_TRUE(fired_.empty());

  now_ = deadline;
  EXPECT_EQ(clock_.fire_due(), 1u);
  ASSERT_EQ(fired_.size(), 1u);
  EXPECT_EQ(fired_[0].deadline, deadline);
  EXPECT_EQ(clock_.armed(), 0u);
}

TEST_F(SlaClockTest, ADeadlineAlreadyPastFiresAtOnceAndTimersFireInDeadlineOrder) {
  const time_point later = now_ + milliseconds{20};
  const time_point past = now_ - milliseconds{60'000};
  clock_.arm({}, sla_timer(sla_kind::human_response, later), later);
  clock_.arm({}, sla_timer(sla_kind::offer_accept, past), past);

  EXPECT_EQ(clock_.fire_due(), 1u) << "the past deadline fires at once";
  now_ = later;
  EXPECT_EQ(clock_.fire_due(), 1u);
  ASSERT_EQ(fired_.size(), 2u);
  EXPECT_EQ(fired_[0].sla, sla_kind::offer_accept);
  EXPECT_EQ(fired_[1].sla, sla_kind::human_response);
}

TEST_F(SlaClockTest, ACancelledTimerNeverFires) {
  const time_point deadline = now_ + milliseconds{5000};
  const auto cancelled = clock_.arm({}, sla_timer(sla_kind::bot_attempt, deadline), deadline);
  clock_.arm({}, sla_timer(sla_kind::human_response, deadline), deadline);

  clock_.cancel(cancelled);
  EXPECT_EQ(clock_.armed(), 1u);
  now_ = deadline;
  EXPECT_EQ(clock_.fire_due(), 1u);
  ASSERT_EQ(fired_.size(), 1u);
  EXPECT_EQ(fired_[0].sla, sla_kind::human_response);
}

TEST_F(SlaClockTest, CancellingAFiredTimerLeavesTheTimerThatReusedItsSlotArmed) {
  const time_point first = now_ + milliseconds{10};
  const auto fired_id = clock_.arm({}, sla_timer(sla_kind::bot_attempt, first), first);
  now_ = first;
  ASSERT_EQ(clock_.fire_due(), 1u);
  const time_point second = now_ + milliseconds{10};
  const auto reused = clock_.arm({}, sla_timer(sla_kind::offer_accept, second), second);
  ASSERT_NE(reused, fired_id);

  clock_.cancel(fired_id);
  clock_.cancel(0);  // Names no timer.

  EXPECT_EQ(clock_.armed(), 1u);
  now_ = second;
  EXPECT_EQ(clock_.fire_due(), 1u);
  EXPECT_EQ(fired_.back().sla, sla_kind::offer_accept);
}

TEST_F(SlaClockTest, TimersLeftAfterManyCancelsFireInDeadlineOrder) {
  // Deadlines spread over ten seconds in a scrambled order; two of every three cancelled.
  std::vector<time_point> kept;
  for (int i = 0; i < 3000; ++i) {
    const time_point deadline = now_ + milliseconds{(i * 7919) % 10'000 + 1};
    const auto id = clock_.arm({}, sla_timer(sla_kind::human_response, deadline), deadline);
    if (i % 3 == 0) {
      kept.push_back(deadline);
    } else {
      clock_.cancel(id);
      clock_.cancel(id);  // Twice: the second does nothing.
    }
  }
  ASSERT_EQ(clock_.armed(), kept.size());

  for (int step = 0; step < 100; ++step) {
    now_ += milliseconds{100};
    clock_.fire_due();
  }

  std::sort(kept.begin(), kept.end());
  ASSERT_EQ(fired_.size(), kept.size()) << "exactly the timers not cancelled fired";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(fired_[i].deadline, kept[i]) << "timer " << i << " out of deadline order";
  }
  EXPECT_EQ(clock_.armed(), 0u);
}

TEST_F(SlaClockTest, AnIdThatNamesNoTimerCancelsNothing) {
  const time_point deadline = now_ + milliseconds{10};
  clock_.arm({}, sla_timer(sla_kind::bot_attempt, deadline), deadline);

  clock_.cancel(0);
  clock_.cancel(7);                         // Slot 7, generation 0: no such timer.
  clock_.cancel(0x0000'0005'0000'0000ULL);  // A generation slot 0 never had.

  EXPECT_EQ(clock_.armed(), 1u);
  now_ = deadline;
  EXPECT_EQ(clock_.fire_due(), 1u);
}

}  // namespace
}  // namespace blendroute::actors
