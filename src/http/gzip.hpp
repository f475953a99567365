// Internal: gzip (RFC 1952) with zlib, into a reusable buffer, and Accept-Encoding parsing.
#pragma once

#include <string>
#include <string_view>

namespace bentoml::metrics::detail {

/// Replaces `out` with the gzip encoding of `in` at zlib `level`; false if zlib failed.
bool gzip_compress(std::string_view in, std::string& out, int level);

/// Whether an Accept-Encoding header allows gzip (`gzip`, `x-gzip` or `*` with q > 0; an explicit
/// `gzip;q=0` refuses it even when `*` is acceptable).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

}  // namespace bentoml::metrics::detail
