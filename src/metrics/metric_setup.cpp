// Metric constructors: validate the options, build the family, register it.
#include <cmath>
#include <limits>
#include <string>

#include "bentoml/metrics/counter.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "bentoml/metrics/histogram.hpp"
#include "bentoml/metrics/summary.hpp"
#include "multiprocess/store.hpp"

namespace bentoml::metrics {
namespace {

template <class Options>
detail::FamilyIdentity identity_of(detail::MetricType type, const Options& options) {
  return detail::make_identity(type, options.name, options.documentation, options.labelnames,
                               options.namespace_, options.subsystem, options.unit);
}

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

/// In multiprocess mode, the family's children keep their values in this process's file of
/// its kind (multiprocess/store.hpp); otherwise this does nothing.
template <class Family>
std::shared_ptr<Family> in_multiprocess_files(std::shared_ptr<Family> family,
                                              MultiprocessMode mode = MultiprocessMode::all) {
  family->set_external_values(
      detail::multiprocess_values_for(family->identity().type, mode, family->identity()));
  return family;
}

}  // namespace

Counter::Counter(const Options& options)
    : MetricBase(
          detail::register_family(in_multiprocess_files(std::make_shared<detail::CounterFamily>(
                                      identity_of(detail::MetricType::counter, options))),
                                  options.registry)) {}

Gauge::Gauge(const Options& options)
    : MetricBase(detail::register_family(
          in_multiprocess_files(std::make_shared<detail::GaugeFamily>(
                                    identity_of(detail::MetricType::gauge, options)),
                                options.multiprocess_mode),
          options.registry)) {}

namespace {
std::shared_ptr<detail::HistogramFamily> histogram_family(const Histogram::Options& options) {
  detail::FamilyIdentity identity = identity_of(detail::MetricType::histogram, options);
  std::vector<double> bounds = finite_bounds(identity.name, options.buckets);
  return detail::register_family(in_multiprocess_files(std::make_shared<detail::HistogramFamily>(
                                     std::move(identity), std::move(bounds))),
                                 options.registry);
}
}  // namespace

Histogram::Histogram(const Options& options) : MetricBase(histogram_family(options)) {}

std::vector<double> Histogram::buckets() const {
  std::vector<double> bounds = family().finite_bounds();
  bounds.push_back(std::numeric_limits<double>::infinity());
  return bounds;
}

Summary::Summary(const Options& options)
    : MetricBase(detail::register_family(
          in_multiprocess_files(std::make_shared<detail::HistogramFamily>(
              identity_of(detail::MetricType::summary, options), std::vector<double>{})),
          options.registry)) {}

}  // namespace bentoml::metrics
