#include "gzip.hpp"

#include "common/header_list.hpp"

#if BENTOML_METRICS_HAVE_LIBDEFLATE
#include <libdeflate.h>
#else
#include <zlib.h>
#endif

#include <cstdlib>
#include <string>

namespace bentoml::metrics::detail {

#if BENTOML_METRICS_HAVE_LIBDEFLATE

GzipEncoder::~GzipEncoder() {
  libdeflate_free_compressor(static_cast<libdeflate_compressor*>(compressor_));
}

bool GzipEncoder::compress(std::string_view in, int level) {
  size_ = 0;
  // zlib's levels: -1 is its default, 6; libdeflate also takes 10-12, which zlib refuses.
  if (level == -1) level = 6;
  if (level < 0 || level > 9) return false;
  if (compressor_ == nullptr || level_ != level) {
    libdeflate_free_compressor(static_cast<libdeflate_compressor*>(compressor_));
    compressor_ = libdeflate_alloc_compressor(level);
    level_ = level;
  }
  auto* deflater = static_cast<libdeflate_compressor*>(compressor_);
  if (deflater == nullptr) return false;
  const std::size_t bound = libdeflate_gzip_compress_bound(deflater, in.size());
  size_ = libdeflate_gzip_compress(deflater, in.data(), in.size(), room(bound), bound);
  return size_ != 0;
}

#else

GzipEncoder::~GzipEncoder() = default;

bool GzipEncoder::compress(std::string_view in, int level) {
  size_ = 0;
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  const uLong bound = deflateBound(&stream, static_cast<uLong>(in.size()));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = reinterpret_cast<Bytef*>(room(bound));
  stream.avail_out = static_cast<uInt>(bound);
  const int result = deflate(&stream, Z_FINISH);
  size_ = result == Z_STREAM_END ? stream.total_out : 0;
  deflateEnd(&stream);
  return result == Z_STREAM_END;
}

#endif

char* GzipEncoder::room(std::size_t bytes) {
  if (buffer_.size() < bytes) buffer_.resize(bytes);
  return buffer_.data();
}

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  double gzip_q = -1;
  double any_q = -1;
  for_each_header_entry(accept_encoding, [&](const HeaderEntry& entry) {
    if (equals_ignoring_case(entry.value, "gzip") || equals_ignoring_case(entry.value, "x-gzip")) {
      gzip_q = entry.q;
    } else if (entry.value == "*") {
      any_q = entry.q;
    }
  });
  return gzip_q >= 0 ? gzip_q > 0 : any_q > 0;
}

}  // namespace bentoml::metrics::detail
