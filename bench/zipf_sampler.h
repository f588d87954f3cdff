// ZipfSampler: draws a torrent rank in [0, n) with P(rank k) proportional to 1 / (k + 1)^s.
// Rank 0 is the most popular torrent. Holds a precomputed cumulative table (8 bytes per rank)
// and samples by binary search. Pure: the caller owns the random engine.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace shardtrack {

class ZipfSampler {
 public:
  // `n` must be at least 1; `exponent` is s (1.0 is the classic Zipf law).
  ZipfSampler(std::uint64_t n, double exponent);

  std::uint64_t Sample(std::mt19937_64& rng) const;
  // The exact probability of `rank`, for tests and reports.
  double Probability(std::uint64_t rank) const;

 private:
  std::vector<double> cumulative_;  // cumulative_[k] = P(rank <= k); the last entry is 1.
};

}  // namespace shardtrack
