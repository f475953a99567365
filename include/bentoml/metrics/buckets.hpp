// Histogram bucket bounds, with BentoML's meaning.
//
// exponential_buckets(0.001, 1.5, 10.0) is 0.001, 0.0015, 0.00225, ... (each bound the previous
// one multiplied by the factor, while below `end`), then `end`, then +Inf. The bounds are built by
// repeated multiplication, as Python does, so the `le` strings are the bytes Python writes.
// Thread-safety: pure functions.
#pragma once

#include <vector>

namespace bentoml::metrics {

/// At most this many bounds are generated before `end` and +Inf are appended (as BentoML does).
inline constexpr int kMaxGeneratedBuckets = 100;

/// start, start·factor, ... while < end (at most 100 of them), then end, then +Inf.
/// Throws metrics::Error unless start > 0, factor > 1 and end > start.
std::vector<double> exponential_buckets(double start, double factor, double end);

/// start, start+step, ... while < end (at most 100 of them), then end, then +Inf.
/// Throws metrics::Error unless start > 0, step > 0 and end > start (as BentoML asserts).
std::vector<double> linear_buckets(double start, double step, double end);

/// prometheus_client's default buckets: .005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5,
/// 7.5, 10, +Inf.
std::vector<double> default_buckets();

}  // namespace bentoml::metrics
