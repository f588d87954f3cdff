// LatencyHistogram: counts latencies in microseconds in log-linear buckets (32 linear steps per
// power of two, so a reported percentile is within about 3% of the true value) and answers
// percentiles without keeping or sorting the samples. Fixed size (about 9 KiB). Pure.
#pragma once

#include <array>
#include <cstdint>

namespace shardtrack {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 5;
  static constexpr int kMaxBits = 40;  // values above 2^40 us (12 days) are clamped

  void Record(std::uint64_t micros);
  void Merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The smallest bucket bound at or below which a fraction `q` (0..1) of samples lie, capped at
  // the largest sample; 0 when empty.
  std::uint64_t Percentile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static std::size_t BucketFor(std::uint64_t micros);
  static std::uint64_t BucketUpperBound(std::size_t bucket);  // largest value in the bucket

 private:
  static constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBucketBits;
  static constexpr std::size_t kBuckets = kSubBuckets * (kMaxBits - kSubBucketBits + 1);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace shardtrack
