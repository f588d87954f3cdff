#include "common/http/gzip.h"

#define ZLIB_CONST  // next_in points to const bytes
#include <zlib.h>

#include <limits>

namespace shardtrack {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // a 32 KiB window, with gzip's header and trailer
constexpr int kMemoryLevel = 8;           // zlib's default

}  // namespace

bool Gzip(std::string_view body, std::string& out) {
  out.clear();
  if (body.size() >= std::numeric_limits<uInt>::max()) return false;
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemoryLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out.resize(deflateBound(&stream, static_cast<uLong>(body.size())));
  stream.next_in = reinterpret_cast<const Bytef*>(body.data());
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const bool done = deflate(&stream, Z_FINISH) == Z_STREAM_END;  // the bound leaves room for all
  out.resize(done ? stream.total_out : 0);
  deflateEnd(&stream);
  return done;
}

}  // namespace shardtrack
