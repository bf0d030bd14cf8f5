// The SLA clock fires a timer at its deadline's millisecond, never before, in deadline order.
#include "actors/sla_clock.hpp"

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

TEST_F(SlaClockTest, CancelledTimersDoNotPileUpInTheHeap) {
  // Idle warnings minutes away, each superseded by the next customer message.
  const time_point far = now_ + std::chrono::minutes{5};
  for (int i = 0; i < 100'000; ++i) {
    clock_.cancel(clock_.arm({}, sla_timer(sla_kind::bot_attempt, far), far));
  }
  const auto kept = clock_.arm({}, sla_timer(sla_kind::human_response, far), far);

  EXPECT_EQ(clock_.armed(), 1u);
  EXPECT_LT(clock_.heap_entries(), 10'000u) << "tombstones were never compacted";
  now_ = far;
  EXPECT_EQ(clock_.fire_due(), 1u);
  clock_.cancel(kept);  // Fired already: nothing to do.
  EXPECT_EQ(clock_.armed(), 0u);
}

}  // namespace
}  // namespace blendroute::actors
