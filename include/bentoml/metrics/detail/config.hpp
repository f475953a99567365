// Internal: compiler helpers shared by the detail headers. Not part of the API.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define BENTOML_METRICS_LIKELY(x) __builtin_expect(!!(x), 1)
#define BENTOML_METRICS_UNLIKELY(x) __builtin_expect(!!(x), 0)
// Rare paths kept out of line, so that the inline recording functions stay small.
#define BENTOML_METRICS_NOINLINE __attribute__((noinline))
// Hot helpers the compiler would call for their loops (the label hash on every labels() call).
#define BENTOML_METRICS_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define BENTOML_METRICS_LIKELY(x) (x)
#define BENTOML_METRICS_UNLIKELY(x) (x)
#define BENTOML_METRICS_NOINLINE
#define BENTOML_METRICS_ALWAYS_INLINE inline
#endif

namespace bentoml::metrics::detail {

/// One cache line: hot cells written by different threads never share one.
inline constexpr int kCacheLine = 64;

}  // namespace bentoml::metrics::detail
