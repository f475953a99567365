// Internal: gzip (RFC 1952) into a reusable buffer, and Accept-Encoding parsing. At level 1 (the
// endpoint's default) the encoder is ISA-L's igzip where it is installed (about three times as
// fast as libdeflate on exposition text, about a tenth larger); otherwise, and at other levels,
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

  /// Encodes `in` as gzip at `level` (zlib's scale: 0-9, -1 for the default); the encoding is
  /// output() until the next call. False if the encoder failed.
  bool compress(std::string_view in, int level);
  [[nodiscard]] std::string_view output() const noexcept { return {buffer_.data(), size_}; }

 private:
  /// The buffer, grown to at least `bytes`. It never shrinks: a string zero-fills what a resize
  /// adds, which was a megabyte a scrape when it was cut to each encoding's size.
  char* room(std::size_t bytes);

  /// ISA-L at level 1; false (nothing written) if it is not built in or failed.
  bool compress_isal(std::string_view in);
  /// libdeflate, or zlib without it.
  bool compress_deflate(std::string_view in, int level);
  void release_isal() noexcept;

  void* compressor_ = nullptr;  ///< libdeflate's, made for `level_`; unused with zlib
  int level_ = -1;
  void* isal_ = nullptr;  ///< ISA-L's stream and level-1 work buffer (360 KB), made on first use
  std::string buffer_;
  std::size_t size_ = 0;  ///< of the last encoding in buffer_
};

/// Whether an Accept-Encoding header allows gzip (`gzip`, `x-gzip` or `*` with q > 0; an explicit
/// `gzip;q=0` refuses it even when `*` is acceptable).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

}  // namespace bentoml::metrics::detail
