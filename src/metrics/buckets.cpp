// Bucket generators with BentoML's meaning; see bentoml/metrics/buckets.hpp.
#include "bentoml/metrics/buckets.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "bentoml/metrics/error.hpp"

namespace bentoml::metrics {
namespace {

std::string number(double value) {
  std::string text = std::to_string(value);
  return text;
}

/// Generates bounds by repeating `next` from `start` while below `end`, as BentoML does
/// (repeated multiplication or addition, so every bound is the same double Python computes).
template <class Next>
std::vector<double> generate(double start, double end, Next next) {
  std::vector<double> bounds;
  for (double bound = start;
       bound < end && bounds.size() < static_cast<std::size_t>(kMaxGeneratedBuckets);
       bound = next(bound)) {
    bounds.push_back(bound);
  }
  bounds.push_back(end);
  bounds.push_back(std::numeric_limits<double>::infinity());
  return bounds;
}

}  // namespace

std::vector<double> exponential_buckets(double start, double factor, double end) {
  if (!(start > 0)) throw Error("exponential_buckets: start must be > 0, got " + number(start));
  if (!(factor > 1)) throw Error("exponential_buckets: factor must be > 1, got " + number(factor));
  if (!(end > start) || std::isinf(end)) {
    throw Error("exponential_buckets: end must be finite and > start, got " + number(end));
  }
  return generate(start, end, [factor](double bound) { return bound * factor; });
}

std::vector<double> linear_buckets(double start, double step, double end) {
  if (!(start > 0)) throw Error("linear_buckets: start must be > 0, got " + number(start));
  if (!(step > 0)) throw Error("linear_buckets: step must be > 0, got " + number(step));
  if (!(end > start) || std::isinf(end) || !std::isfinite(start)) {
    throw Error("linear_buckets: end must be finite and > start, got start " + number(start) +
                ", end " + number(end));
  }
  return generate(start, end, [step](double bound) { return bound + step; });
}

std::vector<double> default_buckets() {
  return {.005, .01, .025, .05,  .075,
          .1,   .25, .5,   .75,  1.0,
          2.5,  5.0, 7.5,  10.0, std::numeric_limits<double>::infinity()};
}

}  // namespace bentoml::metrics
