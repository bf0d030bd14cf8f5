// A log-linear latency histogram with HdrHistogram-like precision and a fixed range.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace blendroute {

/// Counts durations in log-linear buckets, like HdrHistogram with 2 significant digits.
///
/// Values below 256 ns are counted exactly. Above that, every power of two is split into 128
/// equal buckets, so a reported percentile is at most 1/128 (0.78 %) above the true value. The
/// range reaches `highest_trackable` (60 s); larger values are counted in the top bucket and in
/// `saturated()`, while `max()` stays exact. Negative durations count as zero. Memory is fixed
/// (about 30 KiB) and recording is O(1). Not thread-safe: record from one thread, or `merge`
/// per-thread histograms.
class latency_histogram {
public:
  /// The largest value the buckets resolve; see `saturated()`.
  static constexpr std::chrono::nanoseconds highest_trackable = std::chrono::seconds(60);

  latency_histogram();

  /// Counts one value.
  void record(std::chrono::nanoseconds value);

  /// Adds every count of `other` to this histogram.
  void merge(const latency_histogram& other);

  /// Number of values recorded.
  std::uint64_t count() const { return count_; }

  /// Number of values above `highest_trackable`.
  std::uint64_t saturated() const { return saturated_; }

  /// Smallest value recorded, exactly; zero when empty.
  std::chrono::nanoseconds min() const;

  /// Largest value recorded, exactly; zero when empty.
  std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_); }

  /// Arithmetic mean of the recorded values, exact up to rounding; zero when empty.
  std::chrono::nanoseconds mean() const;

  /// How many values were at most `bound`, counting whole buckets: a value in the bucket that
  /// holds `bound` counts when the bucket ends at or below it (for Prometheus buckets).
  std::uint64_t count_at_most(std::chrono::nanoseconds bound) const;

  /// The sum of the recorded values, in seconds.
  double sum_seconds() const { return static_cast<double>(sum_ / 1e9L); }

  /// The value at `percent` (0 to 100): the highest value of the bucket that holds that rank,
  /// capped at `max()`. So `percentile(100)` is `max()`. Zero when empty.
  std::chrono::nanoseconds percentile(double percent) const;

private:
  static std::size_t bucket_of(std::uint64_t ns);

  // The highest value that falls into `bucket`.
  static std::uint64_t bucket_top(std::size_t bucket);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t saturated_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  // Long double keeps the sum exact far beyond any run: 2^64 ns is 584 years.
  long double sum_ = 0;
};

}  // namespace blendroute
