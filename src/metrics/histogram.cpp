// Histogram's constructor and bucket validation; see bentoml/metrics/histogram.hpp.
#include "bentoml/metrics/histogram.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {
namespace {

/// The finite bounds of a histogram's buckets, validated as prometheus_client does, stricter
/// about duplicates and NaN (either would expose a malformed histogram).
std::vector<double> finite_bounds(const std::string& metric, std::vector<double> buckets) {
  if (buckets.empty()) buckets = default_buckets();
  if (!std::isinf(buckets.back()) || buckets.back() < 0) {
    buckets.push_back(std::numeric_limits<double>::infinity());
  }
  if (buckets.size() < 2) {
    throw Error("histogram '" + metric + "': must have at least two buckets (one besides +Inf)");
  }
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (std::isnan(buckets[i])) throw Error("histogram '" + metric + "': a bucket bound is NaN");
    if (i > 0 && !(buckets[i - 1] < buckets[i])) {
      throw Error("histogram '" + metric + "': buckets must be in strictly increasing order");
    }
  }
  buckets.pop_back();  // +Inf is implied by the storage
  return buckets;
}

}  // namespace

Histogram::Histogram(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::histogram, options);
        detail::FamilyIdentity identity = detail::make_identity(definition);
        std::vector<double> bounds = finite_bounds(identity.name, options.buckets);
        return detail::register_family(
            detail::in_multiprocess_files(
                std::make_shared<detail::HistogramFamily>(std::move(identity), std::move(bounds))),
            definition);
      }()) {}

std::vector<double> Histogram::buckets() const {
  std::vector<double> bounds = family().finite_bounds();
  bounds.push_back(std::numeric_limits<double>::infinity());
  return bounds;
}

}  // namespace bentoml::metrics
