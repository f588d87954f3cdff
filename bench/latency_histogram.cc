#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace shardtrack {

std::size_t LatencyHistogram::BucketFor(std::uint64_t micros) {
  micros = std::min(micros, (std::uint64_t{1} << kMaxBits) - 1);
  if (micros < kSubBuckets) return static_cast<std::size_t>(micros);
  const int top_bit = std::bit_width(micros) - 1;  // >= kSubBucketBits
  const int shift = top_bit - kSubBucketBits;
  const std::size_t sub = static_cast<std::size_t>(micros >> shift) - kSubBuckets;
  return kSubBuckets * static_cast<std::size_t>(shift + 1) + sub;
}

std::uint64_t LatencyHistogram::BucketUpperBound(std::size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int shift = static_cast<int>(bucket / kSubBuckets) - 1;
  const std::uint64_t sub = bucket % kSubBuckets;
  return ((kSubBuckets + sub + 1) << shift) - 1;
}

void LatencyHistogram::Record(std::uint64_t micros) {
  ++counts_[BucketFor(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketUpperBound(i), max_);
  }
  return max_;
}

}  // namespace shardtrack
