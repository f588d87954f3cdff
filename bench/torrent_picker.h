// TorrentPicker: the popularity model a run uses (uniform, Zipf or aquatic's Gamma), chosen by
// name. Value type; not thread-safe (the samplers keep small caches). Pure.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench/gamma_sampler.h"
#include "bench/zipf_sampler.h"
#include "common/result.h"

namespace shardtrack {

struct UniformPicker {
  std::uint64_t n;
};

class TorrentPicker {
 public:
  // What Create takes: "zipf" (exponent `zipf_s`), "gamma" (aquatic's 0.2, 100) or "uniform".
  static std::vector<std::string> Distributions() { return {"zipf", "gamma", "uniform"}; }
  // An error for a distribution not among them.
  static Result<TorrentPicker> Create(std::string_view distribution, std::uint64_t torrents,
                                      double zipf_s);

  std::uint64_t Pick(std::mt19937_64& rng) const;

 private:
  using Model = std::variant<UniformPicker, ZipfSampler, GammaSampler>;
  explicit TorrentPicker(Model model) : model_(std::move(model)) {}
  Model model_;
};

}  // namespace shardtrack
