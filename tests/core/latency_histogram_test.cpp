// Percentiles of the log-linear latency histogram.
#include "core/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace blendroute {
namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;

TEST(LatencyHistogram, PercentilesAreWithinTheBucketPrecision) {
  latency_histogram h;
  for (int i = 1; i <= 1000; ++i) {
    h.record(microseconds{i});
  }
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.max(), microseconds{1000});
  EXPECT_EQ(h.min(), microseconds{1});
  const auto p99 = h.percentile(99).count();
  EXPECT_GE(p99, 990'000);
  EXPECT_LE(p99, 990'000 * 1.008);
  EXPECT_EQ(h.percentile(100), microseconds{1000});
}

TEST(LatencyHistogram, EmptyIsZeroAndNegativeCountsAsZero) {
  latency_histogram h;
  EXPECT_EQ(h.percentile(50), nanoseconds{0});
  h.record(nanoseconds{-5});
  EXPECT_EQ(h.max(), nanoseconds{0});
}

TEST(LatencyHistogram, MergeAddsCounts) {
  latency_histogram a, b;
  a.record(microseconds{5});
  b.record(microseconds{7});
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), microseconds{7});
}

}  // namespace
}  // namespace blendroute
