// Internal: gzip (RFC 1952) into a reusable buffer, and Accept-Encoding parsing. The encoder is
// libdeflate where it is installed (about twice as fast as zlib at the same level, whole buffers
// only, which is what a scrape is) and zlib otherwise.
#pragma once

#include <string>
#include <string_view>

namespace bentoml::metrics::detail {

/// A gzip encoder kept between scrapes: libdeflate's compressor holds hundreds of kilobytes of
/// tables, so one lives with each set of scrape buffers rather than with each worker thread
/// (hundreds of them). One thread uses an encoder at a time.
class GzipEncoder {
 public:
  GzipEncoder() = default;
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;
  ~GzipEncoder();

  /// Replaces `out` with the gzip encoding of `in` at `level` (zlib's scale: 0-9, -1 for the
  /// default); false if the encoder failed.
  bool compress(std::string_view in, std::string& out, int level);

 private:
  void* compressor_ = nullptr;  ///< libdeflate's, made for `level_`; unused with zlib
  int level_ = -1;
};

/// Whether an Accept-Encoding header allows gzip (`gzip`, `x-gzip` or `*` with q > 0; an explicit
/// `gzip;q=0` refuses it even when `*` is acceptable).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

}  // namespace bentoml::metrics::detail
