#include "bench/zipf_sampler.h"

#include <algorithm>
#include <cmath>

namespace shardtrack {

ZipfSampler::ZipfSampler(std::uint64_t n, double exponent) {
  cumulative_.resize(std::max<std::uint64_t>(n, 1));
  double sum = 0;
  for (std::size_t k = 0; k < cumulative_.size(); ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), exponent);
    cumulative_[k] = sum;
  }
  for (double& c : cumulative_) c /= sum;
  cumulative_.back() = 1.0;
}

std::uint64_t ZipfSampler::Sample(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  if (it == cumulative_.end()) --it;
  return static_cast<std::uint64_t>(it - cumulative_.begin());
}

double ZipfSampler::Probability(std::uint64_t rank) const {
  if (rank >= cumulative_.size()) return 0;
  return rank == 0 ? cumulative_[0] : cumulative_[rank] - cumulative_[rank - 1];
}

}  // namespace shardtrack
