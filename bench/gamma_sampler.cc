#include "bench/gamma_sampler.h"

#include <algorithm>

namespace shardtrack {

GammaSampler::GammaSampler(std::uint64_t n, double shape, double scale)
    : max_rank_(n == 0 ? 0 : n - 1), gamma_(shape, scale) {}

std::uint64_t GammaSampler::RankFor(double draw) const {
  const double position = (std::min(draw, 101.0) - 1.0) / 100.0;
  if (!(position > 0)) return 0;  // also catches NaN
  const auto rank = static_cast<std::uint64_t>(position * static_cast<double>(max_rank_));
  return std::min(rank, max_rank_);
}

std::uint64_t GammaSampler::Sample(std::mt19937_64& rng) const { return RankFor(gamma_(rng)); }

}  // namespace shardtrack
