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

class Summary {
 public:
  struct Options {
    std::string name;
    std::string documentation;
    std::vector<std::string> labelnames;  ///< `quantile` is reserved
    std::string namespace_;
    std::string subsystem;
    std::string unit;
    Registry* registry = nullptr;  ///< null: default_registry()
  };

  /// One series: observe() and time(), as a histogram child.
  using Child = Histogram::Child;

  /// Registers the summary; throws metrics::Error on a bad or duplicate name.
  explicit Summary(const Options& options);

  Child labels(std::initializer_list<LabelValue> values) { return wrap(family_->child(values)); }
  Child labels(std::initializer_list<LabelPair> values) { return wrap(family_->child(values)); }
  void remove(std::initializer_list<LabelValue> values) { family_->remove(values); }
  void remove(std::initializer_list<LabelPair> values) { family_->remove(values); }
  void clear() { family_->clear(); }

  /// For a metric without labels (throw metrics::Error if it has labels).
  void observe(double value) { unlabelled().observe(value); }
  [[nodiscard]] Timer time() { return unlabelled().time(); }

  [[nodiscard]] const std::string& name() const noexcept { return family_->name(); }

 private:
  Child wrap(detail::ChildHeader* child) const noexcept {
    return {&detail::HistogramFamily::storage(child), family_.get()};
  }
  [[nodiscard]] Child unlabelled() const {
    if (BENTOML_METRICS_UNLIKELY(unlabelled_ == nullptr)) detail::throw_labelled(*family_);
    return {unlabelled_, family_.get()};
  }

  std::shared_ptr<detail::HistogramFamily> family_;
  detail::HistogramCell* unlabelled_ = nullptr;
};

}  // namespace bentoml::metrics
