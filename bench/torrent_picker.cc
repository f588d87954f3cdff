#include "bench/torrent_picker.h"

#include <string>

namespace shardtrack {
namespace {

constexpr double kGammaShape = 0.2;    // aquatic_http_load_test's default
constexpr double kGammaScale = 100.0;  // aquatic_http_load_test's default

}  // namespace

Result<TorrentPicker> TorrentPicker::Create(std::string_view distribution, std::uint64_t torrents,
                                            double zipf_s) {
  if (torrents == 0) return Error{"--torrents must be at least 1"};
  if (distribution == "uniform") return TorrentPicker(Model(UniformPicker{torrents}));
  if (distribution == "zipf") return TorrentPicker(Model(ZipfSampler(torrents, zipf_s)));
  if (distribution == "gamma") {
    return TorrentPicker(Model(GammaSampler(torrents, kGammaShape, kGammaScale)));
  }
  return Error{"no distribution '" + std::string(distribution) + "'"};
}

std::uint64_t TorrentPicker::Pick(std::mt19937_64& rng) const {
  struct Visitor {
    std::mt19937_64& rng;
    std::uint64_t operator()(const UniformPicker& u) const {
      return std::uniform_int_distribution<std::uint64_t>(0, u.n - 1)(rng);
    }
    std::uint64_t operator()(const ZipfSampler& z) const { return z.Sample(rng); }
    std::uint64_t operator()(const GammaSampler& g) const { return g.Sample(rng); }
  };
  return std::visit(Visitor{rng}, model_);
}

}  // namespace shardtrack
