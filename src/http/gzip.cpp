#include "gzip.hpp"

#include "common/header_list.hpp"

#if BENTOML_METRICS_HAVE_LIBDEFLATE
#include <libdeflate.h>
#else
#include <zlib.h>
#endif
#if BENTOML_METRICS_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>

namespace bentoml::metrics::detail {

#if BENTOML_METRICS_HAVE_LIBDEFLATE

GzipEncoder::~GzipEncoder() {
  libdeflate_free_compressor(static_cast<libdeflate_compressor*>(compressor_));
  release_isal();
}

bool GzipEncoder::compress_deflate(std::string_view in, int level) {
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

GzipEncoder::~GzipEncoder() { release_isal(); }

bool GzipEncoder::compress_deflate(std::string_view in, int level) {
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

bool GzipEncoder::compress(std::string_view in, int level) {
  size_ = 0;
  if (level == 1 && compress_isal(in)) return true;  // sets size_ only when it succeeds
  return compress_deflate(in, level);
}

#if BENTOML_METRICS_HAVE_ISAL

namespace {
struct IsalState {
  isal_zstream stream;
  std::uint8_t level_buffer[ISAL_DEF_LVL1_DEFAULT];
};
}  // namespace

void GzipEncoder::release_isal() noexcept { delete static_cast<IsalState*>(isal_); }

bool GzipEncoder::compress_isal(std::string_view in) {
  // Room for data that does not compress (stored blocks: 5 bytes each 64 KiB) and the header
  // and trailer; should ISA-L still need more, it says so and the other encoder takes over.
  const std::size_t bound = in.size() + in.size() / 64 + 1024;
  if (bound > std::numeric_limits<std::uint32_t>::max()) return false;
  if (isal_ == nullptr) isal_ = new (std::nothrow) IsalState;
  auto* state = static_cast<IsalState*>(isal_);
  if (state == nullptr) return false;
  isal_zstream& stream = state->stream;
  isal_deflate_stateless_init(&stream);
  stream.level = 1;
  stream.level_buf = state->level_buffer;
  stream.level_buf_size = sizeof state->level_buffer;
  stream.gzip_flag = IGZIP_GZIP;
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  // ISA-L does not write through next_in; its type is not const.
  stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<std::uint32_t>(in.size());
  stream.next_out = reinterpret_cast<std::uint8_t*>(room(bound));
  stream.avail_out = static_cast<std::uint32_t>(bound);
  if (isal_deflate_stateless(&stream) != COMP_OK) return false;
  size_ = stream.total_out;
  return true;
}

#else

void GzipEncoder::release_isal() noexcept {}
bool GzipEncoder::compress_isal(std::string_view /*in*/) { return false; }

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
