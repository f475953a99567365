// Internal: compiler helpers shared by the detail headers. Not part of the API.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define BENTOML_METRICS_LIKELY(x) __builtin_expect(!!(x), 1)
#define BENTOML_METRICS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define BENTOML_METRICS_LIKELY(x) (x)
#define BENTOML_METRICS_UNLIKELY(x) (x)
#endif

namespace bentoml::metrics::detail {

/// One cache line: hot cells written by different threads never share one.
inline constexpr int kCacheLine = 64;

}  // namespace bentoml::metrics::detail
