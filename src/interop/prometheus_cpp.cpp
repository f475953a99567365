// prometheus-cpp interop; see bentoml/metrics/prometheus_cpp/interop.hpp.
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/prometheus_cpp/interop.hpp"

namespace bentoml::metrics {
namespace {

// ---- prometheus-cpp -> ours ------------------------------------------------------------------

SampleLabels labels_of(const prometheus::ClientMetric& metric) {
  SampleLabels labels;
  for (const auto& label : metric.label) labels.emplace_back(label.name, label.value);
  return labels;
}

/// A quantile as a label value, as prometheus_client formats floats (`0.5`, `1.0`).
std::string quantile_text(double quantile) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, quantile);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

MetricFamily convert(const prometheus::MetricFamily& family) {
  switch (family.type) {
    case prometheus::MetricType::Counter: {
      CounterMetricFamily out(family.name, family.help);
      for (const auto& metric : family.metric) {
        out.add_sample(out.name() + "_total", labels_of(metric), metric.counter.value);
      }
      return std::move(out);
    }
    case prometheus::MetricType::Gauge: {
      MetricFamily out(family.name, family.help, FamilyType::gauge);
      for (const auto& metric : family.metric) {
        out.add_sample(family.name, labels_of(metric), metric.gauge.value);
      }
      return out;
    }
    case prometheus::MetricType::Histogram: {
      MetricFamily out(family.name, family.help, FamilyType::histogram);
      for (const auto& metric : family.metric) {
        std::vector<std::pair<double, double>> buckets;
        for (const auto& bucket : metric.histogram.bucket) {
          buckets.emplace_back(bucket.upper_bound, static_cast<double>(bucket.cumulative_count));
        }
        // The helper formats `le` as the built-in histograms do; its samples carry our labels.
        std::vector<std::string> names;
        std::vector<std::string> values;
        for (const auto& label : metric.label) {
          names.push_back(label.name);
          values.push_back(label.value);
        }
        HistogramMetricFamily one(family.name, family.help, names);
        one.add_metric(values, buckets, metric.histogram.sample_sum);
        for (const Sample& sample : one.samples()) {
          out.add_sample(sample.name, sample.labels, sample.value);
        }
      }
      return out;
    }
    case prometheus::MetricType::Summary: {
      MetricFamily out(family.name, family.help, FamilyType::summary);
      for (const auto& metric : family.metric) {
        for (const auto& quantile : metric.summary.quantile) {
          SampleLabels labels = labels_of(metric);
          labels.emplace_back("quantile", quantile_text(quantile.quantile));
          out.add_sample(family.name, std::move(labels), quantile.value);
        }
        out.add_sample(family.name + "_count", labels_of(metric),
                       static_cast<double>(metric.summary.sample_count));
        out.add_sample(family.name + "_sum", labels_of(metric), metric.summary.sample_sum);
      }
      return out;
    }
    default: {
      MetricFamily out(family.name, family.help, FamilyType::unknown);
      for (const auto& metric : family.metric) {
        out.add_sample(family.name, labels_of(metric), metric.untyped.value);
      }
      return out;
    }
  }
}

class CollectableCollector final : public Collector {
 public:
  explicit CollectableCollector(std::shared_ptr<prometheus::Collectable> collectable)
      : collectable_(std::move(collectable)) {}
  [[nodiscard]] std::vector<MetricFamily> collect() const override {
    std::vector<MetricFamily> out;
    for (const prometheus::MetricFamily& family : collectable_->Collect()) {
      out.push_back(convert(family));
    }
    return out;
  }

 private:
  std::shared_ptr<prometheus::Collectable> collectable_;
};

// ---- ours -> prometheus-cpp ------------------------------------------------------------------

/// Undoes the exposition's escaping (`\\`, `\n`, `\"`).
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out += next == 'n' ? '\n' : next;
    } else {
      out += text[i];
    }
  }
  return out;
}

double number(std::string_view text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  return std::strtod(std::string(text).c_str(), nullptr);
}

struct ParsedSample {
  std::string name;
  std::vector<prometheus::ClientMetric::Label> labels;  ///< without `le`
  std::string le;
  double value = 0;
};

/// One sample line of our text 0.0.4 output.
ParsedSample parse_sample(std::string_view line) {
  ParsedSample sample;
  std::size_t at = line.find_first_of("{ ");
  sample.name = std::string(line.substr(0, at));
  if (line[at] == '{') {
    ++at;
    while (line[at] != '}') {
      const std::size_t equals = line.find('=', at);
      std::string name(line.substr(at, equals - at));
      std::size_t end = equals + 2;
      while (line[end] != '"') end += line[end] == '\\' ? 2 : 1;
      std::string value = unescape(line.substr(equals + 2, end - equals - 2));
      if (name == "le") {
        sample.le = std::move(value);
      } else {
        sample.labels.push_back({std::move(name), std::move(value)});
      }
      at = end + 1;
      if (line[at] == ',') ++at;
    }
    ++at;
  }
  sample.value = number(line.substr(at + 1));
  return sample;
}

prometheus::MetricType type_of(std::string_view word) {
  if (word == "counter") return prometheus::MetricType::Counter;
  if (word == "gauge") return prometheus::MetricType::Gauge;
  if (word == "histogram") return prometheus::MetricType::Histogram;
  if (word == "summary") return prometheus::MetricType::Summary;
  return prometheus::MetricType::Untyped;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

/// The ClientMetric of `family` with these labels, appended when new.
prometheus::ClientMetric& metric_for(prometheus::MetricFamily& family,
                                     const std::vector<prometheus::ClientMetric::Label>& labels) {
  for (auto& metric : family.metric) {
    if (metric.label == labels) return metric;
  }
  family.metric.emplace_back();
  family.metric.back().label = labels;
  return family.metric.back();
}

std::vector<prometheus::MetricFamily> read_families(const std::string& text) {
  std::vector<prometheus::MetricFamily> families;
  std::string help;
  for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    const std::string_view line(text.data() + start, end - start);
    if (line.rfind("# HELP ", 0) == 0) {
      const std::size_t space = line.find(' ', 7);
      // Kept escaped: prometheus-cpp's serializers write HELP as given, so a raw newline would
      // break their output (its known bug); escaped, every parser reads the original text.
      help = space == std::string_view::npos ? "" : std::string(line.substr(space + 1));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::size_t space = line.find(' ', 7);
      prometheus::MetricFamily family;
      family.name = std::string(line.substr(7, space - 7));
      family.help = help;
      family.type = type_of(line.substr(space + 1));
      families.push_back(std::move(family));
      continue;
    }
    if (line.empty() || line[0] == '#' || families.empty()) continue;
    ParsedSample sample = parse_sample(line);
    prometheus::MetricFamily& family = families.back();
    prometheus::ClientMetric& metric = metric_for(family, sample.labels);
    switch (family.type) {
      case prometheus::MetricType::Counter:
        metric.counter.value = sample.value;
        break;
      case prometheus::MetricType::Gauge:
        metric.gauge.value = sample.value;
        break;
      case prometheus::MetricType::Histogram:
        if (ends_with(sample.name, "_bucket")) {
          metric.histogram.bucket.push_back(
              {static_cast<std::uint64_t>(sample.value), number(sample.le)});
        } else if (ends_with(sample.name, "_count")) {
          metric.histogram.sample_count = static_cast<std::uint64_t>(sample.value);
        } else if (ends_with(sample.name, "_sum")) {
          metric.histogram.sample_sum = sample.value;
        }
        break;
      case prometheus::MetricType::Summary:
        if (ends_with(sample.name, "_count")) {
          metric.summary.sample_count = static_cast<std::uint64_t>(sample.value);
        } else if (ends_with(sample.name, "_sum")) {
          metric.summary.sample_sum = sample.value;
        }
        break;
      default:
        metric.untyped.value = sample.value;
        break;
    }
  }
  return families;
}

class RegistryCollectable final : public prometheus::Collectable {
 public:
  explicit RegistryCollectable(const Registry& registry) : registry_(registry) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    // prometheus-cpp has no created series; counters keep their `_total` family name.
    return read_families(generate_latest(registry_, Format::text_0_0_4));
  }

 private:
  const Registry& registry_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> as_collectable(const Registry& registry) {
  return std::make_shared<RegistryCollectable>(registry);
}

std::shared_ptr<Collector> from_collectable(std::shared_ptr<prometheus::Collectable> collectable) {
  if (!collectable) throw Error("from_collectable: the collectable is null");
  return std::make_shared<CollectableCollector>(std::move(collectable));
}

}  // namespace bentoml::metrics
