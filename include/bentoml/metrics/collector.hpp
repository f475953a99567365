// metrics::Collector: metric families computed at every scrape (prometheus_client's custom
// collectors, prometheus-cpp's Collectable, client_golang's Collector).
//
// Register one with `registry.register_collector(collector)`; each scrape calls `collect()` and
// writes the families it returns in the scrape's format exactly as built-in metrics are written
// (escaping, `_total` / `_info` / `_created` rules, `# UNIT`). The output is validated first: a
// bad name or a sample that does not belong to its family drops that collector's output (and
// only that) from the scrape and is logged once to stderr; an exception from `collect()` does
// the same. Thread-safety: `collect()` may be called from several scraping threads at once and
// must be safe for that. Cost: a collector allocates its families at every scrape; built-in
// metrics in the same registry are still scraped lock-free.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bentoml::metrics {

/// The OpenMetrics family types (prometheus_client's Metric types; `untyped` is `unknown`).
enum class FamilyType {
  counter,
  gauge,
  histogram,
  gaugehistogram,
  summary,
  info,
  stateset,
  unknown
};

/// The label names and values of one sample, in any order (they are written sorted by name).
using SampleLabels = std::vector<std::pair<std::string, std::string>>;

/// One sample of a family: its full name (`<family>_total`, `<family>_bucket`, ...), labels and
/// value.
struct Sample {
  std::string name;
  SampleLabels labels;
  double value = 0;
};

/// A metric family as a collector yields it (prometheus_client's `Metric`). Validated when it is
/// scraped, not when it is built, so that building one never throws.
class MetricFamily {
 public:
  /// As `Metric(name, documentation, typ, unit)`: `_<unit>` is appended unless the name ends so.
  MetricFamily(std::string name, std::string documentation, FamilyType type, std::string unit = {});

  /// Appends a sample; `name` is the full sample name.
  void add_sample(std::string name, SampleLabels labels, double value);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& documentation() const noexcept { return documentation_; }
  [[nodiscard]] FamilyType type() const noexcept { return type_; }
  [[nodiscard]] const std::string& unit() const noexcept { return unit_; }
  [[nodiscard]] const std::vector<Sample>& samples() const noexcept { return samples_; }

 protected:
  /// The samples' labels for `values` of the family's label names (sizes must match).
  [[nodiscard]] SampleLabels labels_for(const std::vector<std::string>& values) const;

  std::string name_;
  std::string documentation_;
  std::string unit_;
  FamilyType type_;
  std::vector<std::string> labelnames_;  ///< for the add_metric helpers of the derived families
  std::vector<Sample> samples_;
};

/// `CounterMetricFamily`: a trailing `_total` is dropped from the name; samples `<name>_total`
/// and (with `created`) `<name>_created`.
class CounterMetricFamily : public MetricFamily {
 public:
  CounterMetricFamily(std::string name, std::string documentation,
                      std::vector<std::string> labelnames = {}, std::string unit = {});
  /// Throws metrics::Error if `label_values` has not one value per label name.
  void add_metric(const std::vector<std::string>& label_values, double value,
                  std::optional<double> created = std::nullopt);
};

/// `GaugeMetricFamily`: one sample `<name>` per label set.
class GaugeMetricFamily : public MetricFamily {
 public:
  GaugeMetricFamily(std::string name, std::string documentation,
                    std::vector<std::string> labelnames = {}, std::string unit = {});
  void add_metric(const std::vector<std::string>& label_values, double value);
};

/// `SummaryMetricFamily`: `<name>_count` and `<name>_sum` per label set.
class SummaryMetricFamily : public MetricFamily {
 public:
  SummaryMetricFamily(std::string name, std::string documentation,
                      std::vector<std::string> labelnames = {}, std::string unit = {});
  void add_metric(const std::vector<std::string>& label_values, double count, double sum,
                  std::optional<double> created = std::nullopt);
};

/// `HistogramMetricFamily`: `buckets` are (upper bound, cumulative count) pairs ending with
/// +Inf; `_count` is the last bucket's count; `_sum` is written when given.
class HistogramMetricFamily : public MetricFamily {
 public:
  HistogramMetricFamily(std::string name, std::string documentation,
                        std::vector<std::string> labelnames = {}, std::string unit = {});
  void add_metric(const std::vector<std::string>& label_values,
                  const std::vector<std::pair<double, double>>& buckets,
                  std::optional<double> sum = std::nullopt,
                  std::optional<double> created = std::nullopt);
};

/// `InfoMetricFamily`: `<name>_info{labels..., info...} 1`.
class InfoMetricFamily : public MetricFamily {
 public:
  InfoMetricFamily(std::string name, std::string documentation,
                   std::vector<std::string> labelnames = {});
  void add_metric(const std::vector<std::string>& label_values, const SampleLabels& info);
};

/// `StateSetMetricFamily`: `<name>{labels..., <name>="<state>"} 1 or 0` per state, states
/// sorted by name.
class StateSetMetricFamily : public MetricFamily {
 public:
  StateSetMetricFamily(std::string name, std::string documentation,
                       std::vector<std::string> labelnames = {});
  void add_metric(const std::vector<std::string>& label_values,
                  const std::vector<std::pair<std::string, bool>>& states);
};

/// A user-defined source of metric families, registered with Registry::register_collector.
class Collector {
 public:
  Collector() = default;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  virtual ~Collector() = default;

  /// The families of this scrape. May run in several threads at once; may throw (the scrape
  /// then leaves this collector out).
  [[nodiscard]] virtual std::vector<MetricFamily> collect() const = 0;

  /// Python's `describe()`: the families (samples not needed) whose names this collector
  /// claims, checked against the registry's other names at registration. Empty by default: no
  /// check (a clash then shows at scrape time as two families of one name).
  [[nodiscard]] virtual std::vector<MetricFamily> describe() const { return {}; }
};

/// A collector calling `collect` (and `describe`, if given) at each scrape.
std::shared_ptr<Collector> make_collector(
    std::function<std::vector<MetricFamily>()> collect,
    std::function<std::vector<MetricFamily>()> describe = nullptr);

}  // namespace bentoml::metrics
