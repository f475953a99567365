// metrics::Histogram: observations counted in cumulative buckets (Python's Histogram).
//
// Exposed as `<name>_bucket{le=...}` (cumulative, ending with +Inf), `_count`, `_sum`, `_created`.
// Thread-safety: every member may be called from any number of threads; scrapes are consistent
// (`_count` equals the `+Inf` bucket and the sum of the buckets, `_sum` covers the same
// observations). Cost of `observe` on a child: a bucket search (a table lookup and one compare
// for most bounds, detail/bucket_search.hpp) and plain loads and stores into the calling
// thread's own shard, no locked instruction; no lock, no allocation once the child exists (a
// second thread writing a child allocates its shard once).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/buckets.hpp"
#include "bentoml/metrics/detail/histogram_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"
#include "bentoml/metrics/timer.hpp"

namespace bentoml::metrics {

/// One histogram (or summary) series. Valid for the life of its metric, even after remove().
class HistogramChild {
 public:
  /// Records one observation. NaN is counted in the +Inf bucket (so `_count` stays the sum
  /// of the buckets) and makes `_sum` NaN.
  void observe(double value) noexcept { cell_->observe(value); }
  /// Records one observation and keeps `exemplar` as its bucket's latest (OpenMetrics only).
  /// Throws metrics::Error (recording nothing) if the exemplar is invalid or too long.
  void observe(double value, Exemplar exemplar) {
    detail::validate_exemplar(family_->name(), exemplar);
    const std::size_t bucket = cell_->bucket_for(value);
    cell_->observe_in_bucket(bucket, value);
    if (exemplar.size() != 0) {  // an empty exemplar is none: the bucket's previous one stays
      cell_->store_exemplar(bucket, exemplar, value, detail::unix_time_now());
    }
  }
  /// Observes the seconds until the returned object goes out of scope.
  [[nodiscard]] Timer time() noexcept { return {&observe_into, cell_}; }

 private:
  friend class detail::MetricBase<detail::HistogramFamily, HistogramChild>;
  HistogramChild(detail::ChildHeader* child, const detail::HistogramFamily* family) noexcept
      : cell_(&detail::HistogramFamily::storage(child)), family_(family) {}
  static void observe_into(void* cell, double seconds) noexcept {
    static_cast<detail::HistogramCell*>(cell)->observe(seconds);
  }
  detail::HistogramCell* cell_;
  const detail::HistogramFamily* family_;
};

class Histogram : public detail::MetricBase<detail::HistogramFamily, HistogramChild> {
 public:
  /// Every field has a default, so designated initializers may name only some of them
  /// (`{.name = ..., .documentation = ...}`) without a -Wmissing-field-initializers warning.
  struct Options {
    std::string name{};
    std::string documentation{};
    std::vector<std::string> labelnames{};  ///< `le` is reserved
    std::string namespace_{};
    std::string subsystem{};
    std::string unit{};
    /// Ascending upper bounds; +Inf is appended when missing. Empty: default_buckets().
    std::vector<double> buckets{};
    Registry* registry = nullptr;  ///< null: default_registry()
  };
  using Child = HistogramChild;

  /// Registers the histogram; throws metrics::Error on a bad or duplicate name or bad buckets.
  explicit Histogram(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void observe(double value) { unlabelled().observe(value); }
  void observe(double value, Exemplar exemplar) { unlabelled().observe(value, exemplar); }
  [[nodiscard]] Timer time() { return unlabelled().time(); }

  /// The upper bounds, ending with +Inf.
  [[nodiscard]] std::vector<double> buckets() const;
};

}  // namespace bentoml::metrics
