#include "gzip.hpp"

#include "common/header_list.hpp"

#include <zlib.h>

#include <cstdlib>
#include <string>

namespace bentoml::metrics::detail {

bool gzip_compress(std::string_view in, std::string& out, int level) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out.resize(deflateBound(&stream, static_cast<uLong>(in.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END;
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
