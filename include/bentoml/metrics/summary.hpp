// metrics::Summary: count and sum of observations (Python's Summary), optionally with quantiles
// over a sliding time window (as prometheus-cpp's and client_golang's summaries).
//
// Exposed as `_count`, `_sum`, `_created`, preceded by `<name>{quantile="q"}` samples when
// quantiles are configured. Without quantiles: the cost and thread-safety of a histogram with a
// single bucket, so `_count` and `_sum` are always read together consistently. With quantiles,
// observe() also appends to the calling thread's buffer (a clock read and three stores, no lock
// in the common case); a full buffer and every scrape fold the buffers into the window under
// the series' mutex. Each reported quantile q with error e lies between the exact values at
// ranks (q - e) n and (q + e) n of the n observations in the window (docs/design.md).
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/detail/summary_quantiles.hpp"
#include "bentoml/metrics/histogram.hpp"

namespace bentoml::metrics {

/// One summary series. Valid for the life of its metric, even after remove().
class SummaryChild {
 public:
  /// Records one observation (NaN is counted in `_count`, makes `_sum` NaN, and is not ranked).
  void observe(double value) noexcept {
    if (quantiles_ != nullptr) {
      quantiles_->observe(value);
    } else {
      cell_->observe_in_bucket(0, value);  // a summary's one "bucket" is its `_count`
    }
  }
  /// Observes the seconds until the returned object goes out of scope.
  [[nodiscard]] Timer time() noexcept {
    if (quantiles_ != nullptr) return {&detail::SummaryQuantiles::observe_into, quantiles_};
    return {&observe_into, cell_};
  }

 private:
  friend class detail::MetricBase<detail::HistogramFamily, SummaryChild>;
  SummaryChild(detail::ChildHeader* child, const detail::HistogramFamily* family) noexcept
      : cell_(&detail::HistogramFamily::storage(child)), quantiles_(family->quantiles(child)) {}
  static void observe_into(void* cell, double seconds) noexcept {
    static_cast<detail::HistogramCell*>(cell)->observe_in_bucket(0, seconds);
  }
  detail::HistogramCell* cell_;
  detail::SummaryQuantiles* quantiles_;  ///< null: no quantiles configured
};

class Summary : public detail::MetricBase<detail::HistogramFamily, SummaryChild> {
 public:
  /// A quantile to report and its allowed rank error: `{0.99, 0.001}`.
  struct Quantile {
    double quantile = 0;  ///< in [0, 1]
    double error = 0;     ///< in (0, 1)
  };
  /// Where the sliding window reads the time: monotonic nanoseconds. For tests.
  using Clock = detail::QuantileClock;

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
    /// Empty: no quantiles (prometheus_client's Summary). Not available in multiprocess mode.
    std::vector<Quantile> quantiles{};
    /// The window: observations of the last max_age (at least (age_buckets - 1) / age_buckets
    /// of it), dropped age_buckets times per max_age (client_golang's MaxAge and AgeBuckets).
    std::chrono::nanoseconds max_age = std::chrono::minutes(10);
    int age_buckets = 5;
    Clock clock = nullptr;  ///< null: CLOCK_MONOTONIC_COARSE
  };
  /// One series: observe() and time().
  using Child = SummaryChild;

  /// Registers the summary; throws metrics::Error on a bad or duplicate name or bad quantile
  /// options (naming the metric and the fault).
  explicit Summary(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void observe(double value) { unlabelled().observe(value); }
  [[nodiscard]] Timer time() { return unlabelled().time(); }
};

}  // namespace bentoml::metrics
