// A log-linear latency histogram with HdrHistogram-like precision and a fixed range.
#include "core/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace blendroute {

namespace {

// 2^7 sub-buckets per power of two bound the relative error to 1/128.
constexpr unsigned sub_bucket_bits = 7;
constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_bits;

// Values below twice the sub-bucket count get one bucket each.
constexpr std::uint64_t linear_limit = 2 * sub_bucket_count;

// Position of the highest set bit of a non-zero value. A loop rather than C++20 <bit>, so the
// file also builds as C++17; it runs at most 64 times.
unsigned highest_bit(std::uint64_t value) {
  unsigned bit = 0;
  while (value > 1) {
    value >>= 1;
    ++bit;
  }
  return bit;
}

}  // namespace

latency_histogram::latency_histogram()
    : counts_(bucket_of(static_cast<std::uint64_t>(highest_trackable.count())) + 1, 0) {}

void latency_histogram::record(std::chrono::nanoseconds value) {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(value.count(), 0));
  const auto top = static_cast<std::uint64_t>(highest_trackable.count());

  if (ns > top) {
    ++saturated_;
  }
  ++counts_[bucket_of(std::min(ns, top))];
  ++count_;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
  sum_ += static_cast<long double>(ns);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  saturated_ += other.saturated_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

std::chrono::nanoseconds latency_histogram::min() const {
  return std::chrono::nanoseconds(count_ == 0 ? 0 : min_);
}

std::chrono::nanoseconds latency_histogram::mean() const {
  if (count_ == 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(std::llround(static_cast<double>(sum_ / count_))));
}

std::chrono::nanoseconds latency_histogram::percentile(double percent) const {
  if (count_ == 0) {
    return std::chrono::nanoseconds(0);
  }

  // The rank is 1-based: the p-th percentile is the smallest value with at least p % of the
  // values at or below it.
  const double clamped = std::clamp(percent, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);

  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < counts_.size(); ++bucket) {
    seen += counts_[bucket];
    if (seen >= rank) {
      const auto value = std::clamp(bucket_top(bucket), min_, max_);
      return std::chrono::nanoseconds(value);
    }
  }
  return max();
}

std::uint64_t latency_histogram::count_at_most(std::chrono::nanoseconds bound) const {
  if (bound.count() < 0) {
    return 0;
  }
  const auto limit = static_cast<std::uint64_t>(bound.count());
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < counts_.size() && bucket_top(bucket) <= limit; ++bucket) {
    seen += counts_[bucket];
  }
  return seen;
}

std::size_t latency_histogram::bucket_of(std::uint64_t ns) {
  if (ns < linear_limit) {
    return static_cast<std::size_t>(ns);
  }

  // Above the linear part, `shift` picks the power of two and the top 8 bits of the value the
  // sub-bucket within it; consecutive powers continue the index without gaps.
  const unsigned shift = highest_bit(ns) - sub_bucket_bits;
  const std::uint64_t sub = ns >> shift;
  return static_cast<std::size_t>(shift * sub_bucket_count + sub);
}

std::uint64_t latency_histogram::bucket_top(std::size_t bucket) {
  if (bucket < linear_limit) {
    return bucket;
  }

  const std::uint64_t shift = bucket / sub_bucket_count - 1;
  const std::uint64_t sub = bucket - shift * sub_bucket_count;
  return ((sub + 1) << shift) - 1;
}

}  // namespace blendroute
