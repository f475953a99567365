// metrics::Summary: count and sum of observations (Python's Summary, without quantiles).
//
// Exposed as `_count`, `_sum`, `_created`. Quantiles are not computed (as in prometheus_client);
// use a Histogram and histogram_quantile() for them. Thread-safety and cost: those of a
// histogram with a single bucket, so `_count` and `_sum` are always read together consistently.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/histogram.hpp"

namespace bentoml::metrics {

class Summary : public detail::MetricBase<detail::HistogramFamily, HistogramChild> {
 public:
  /// Every field has a default, so designated initializers may name only some of them
  /// (`{.name = ..., .documentation = ...}`) without a -Wmissing-field-initializers warning.
  struct Options {
    std::string name{};
    std::string documentation{};
    std::vector<std::string> labelnames{};  ///< `quantile` is reserved
    std::string namespace_{};
    std::string subsystem{};
    std::string unit{};
    Registry* registry = nullptr;  ///< null: default_registry()
  };
  /// One series: observe() and time(), as a histogram child.
  using Child = HistogramChild;

  /// Registers the summary; throws metrics::Error on a bad or duplicate name.
  explicit Summary(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void observe(double value) { unlabelled().observe(value); }
  [[nodiscard]] Timer time() { return unlabelled().time(); }
};

}  // namespace bentoml::metrics
