// MetricFamily and the prometheus_client-style family helpers; see bentoml/metrics/collector.hpp.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/error.hpp"
#include "exposition_writer.hpp"

namespace bentoml::metrics {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string without_total(std::string name) {
  if (ends_with(name, "_total")) name.resize(name.size() - 6);  // as CounterMetricFamily does
  return name;
}

class FunctionCollector final : public Collector {
 public:
  FunctionCollector(std::function<std::vector<MetricFamily>()> collect,
                    std::function<std::vector<MetricFamily>()> describe)
      : collect_(std::move(collect)), describe_(std::move(describe)) {}
  [[nodiscard]] std::vector<MetricFamily> collect() const override { return collect_(); }
  [[nodiscard]] std::vector<MetricFamily> describe() const override {
    return describe_ ? describe_() : std::vector<MetricFamily>{};
  }

 private:
  std::function<std::vector<MetricFamily>()> collect_;
  std::function<std::vector<MetricFamily>()> describe_;
};

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string documentation, FamilyType type,
                           std::string unit)
    : name_(std::move(name)),
      documentation_(std::move(documentation)),
      unit_(std::move(unit)),
      type_(type) {
  if (!unit_.empty() && !ends_with(name_, "_" + unit_)) name_ += "_" + unit_;
}

void MetricFamily::add_sample(std::string name, SampleLabels labels, double value) {
  samples_.push_back(Sample{std::move(name), std::move(labels), value});
}

SampleLabels MetricFamily::labels_for(const std::vector<std::string>& values) const {
  if (values.size() != labelnames_.size()) {
    throw Error("metric family '" + name_ + "': expected " + std::to_string(labelnames_.size()) +
                " label value(s), got " + std::to_string(values.size()));
  }
  SampleLabels labels;
  labels.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) labels.emplace_back(labelnames_[i], values[i]);
  return labels;
}

CounterMetricFamily::CounterMetricFamily(std::string name, std::string documentation,
                                         std::vector<std::string> labelnames, std::string unit)
    : MetricFamily(without_total(std::move(name)), std::move(documentation), FamilyType::counter,
                   std::move(unit)) {
  labelnames_ = std::move(labelnames);
}

void CounterMetricFamily::add_metric(const std::vector<std::string>& label_values, double value,
                                     std::optional<double> created) {
  SampleLabels labels = labels_for(label_values);
  if (created) add_sample(name_ + "_created", labels, *created);
  // _total first, as prometheus_client orders them.
  samples_.insert(samples_.end() - (created ? 1 : 0), Sample{name_ + "_total", labels, value});
}

GaugeMetricFamily::GaugeMetricFamily(std::string name, std::string documentation,
                                     std::vector<std::string> labelnames, std::string unit)
    : MetricFamily(std::move(name), std::move(documentation), FamilyType::gauge, std::move(unit)) {
  labelnames_ = std::move(labelnames);
}

void GaugeMetricFamily::add_metric(const std::vector<std::string>& label_values, double value) {
  add_sample(name_, labels_for(label_values), value);
}

SummaryMetricFamily::SummaryMetricFamily(std::string name, std::string documentation,
                                         std::vector<std::string> labelnames, std::string unit)
    : MetricFamily(std::move(name), std::move(documentation), FamilyType::summary,
                   std::move(unit)) {
  labelnames_ = std::move(labelnames);
}

void SummaryMetricFamily::add_metric(const std::vector<std::string>& label_values, double count,
                                     double sum, std::optional<double> created) {
  SampleLabels labels = labels_for(label_values);
  add_sample(name_ + "_count", labels, count);
  add_sample(name_ + "_sum", labels, sum);
  if (created) add_sample(name_ + "_created", std::move(labels), *created);
}

HistogramMetricFamily::HistogramMetricFamily(std::string name, std::string documentation,
                                             std::vector<std::string> labelnames, std::string unit)
    : MetricFamily(std::move(name), std::move(documentation), FamilyType::histogram,
                   std::move(unit)) {
  labelnames_ = std::move(labelnames);
}

void HistogramMetricFamily::add_metric(const std::vector<std::string>& label_values,
                                       const std::vector<std::pair<double, double>>& buckets,
                                       std::optional<double> sum, std::optional<double> created) {
  SampleLabels labels = labels_for(label_values);
  for (const auto& [bound, count] : buckets) {
    SampleLabels with_le = labels;
    with_le.emplace_back("le", detail::le_value(bound));
    add_sample(name_ + "_bucket", std::move(with_le), count);
  }
  // As prometheus_client: _count and _sum only with a sum and no negative bucket (_count is the
  // +Inf bucket).
  if (sum && !buckets.empty() && buckets.front().first >= 0) {
    add_sample(name_ + "_count", labels, buckets.back().second);
    add_sample(name_ + "_sum", labels, *sum);
  }
  if (created) add_sample(name_ + "_created", std::move(labels), *created);
}

InfoMetricFamily::InfoMetricFamily(std::string name, std::string documentation,
                                   std::vector<std::string> labelnames)
    : MetricFamily(std::move(name), std::move(documentation), FamilyType::info) {
  labelnames_ = std::move(labelnames);
}

void InfoMetricFamily::add_metric(const std::vector<std::string>& label_values,
                                  const SampleLabels& info) {
  SampleLabels labels = labels_for(label_values);
  labels.insert(labels.end(), info.begin(), info.end());
  add_sample(name_ + "_info", std::move(labels), 1);
}

StateSetMetricFamily::StateSetMetricFamily(std::string name, std::string documentation,
                                           std::vector<std::string> labelnames)
    : MetricFamily(std::move(name), std::move(documentation), FamilyType::stateset) {
  labelnames_ = std::move(labelnames);
}

void StateSetMetricFamily::add_metric(const std::vector<std::string>& label_values,
                                      const std::vector<std::pair<std::string, bool>>& states) {
  const SampleLabels labels = labels_for(label_values);
  std::vector<std::pair<std::string, bool>> sorted = states;  // sorted, as prometheus_client
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [state, on] : sorted) {
    SampleLabels with_state = labels;
    with_state.emplace_back(name_, state);
    add_sample(name_, std::move(with_state), on ? 1 : 0);
  }
}

std::shared_ptr<Collector> make_collector(std::function<std::vector<MetricFamily>()> collect,
                                          std::function<std::vector<MetricFamily>()> describe) {
  if (!collect) throw Error("make_collector: the collect function is empty");
  return std::make_shared<FunctionCollector>(std::move(collect), std::move(describe));
}

}  // namespace bentoml::metrics
