// The differential check's scenario generator: random scenarios (metric types, names, label
// names and values, values, exemplars, remove and clear) recorded with this library, written one
// JSON line each with both expositions. fuzz/differential.py replays every scenario with
// prometheus_client 0.16 and compares both formats byte for byte (only `_created` values and
// exemplar timestamps, clock readings, are masked).
//
//   differential_scenarios COUNT SEED > scenarios.jsonl
//
// The scenarios stay inside what both clients define the same way; the documented differences
// (README) are left out on purpose: no NaN observations, no increments whose sum needs rounding
// (amounts are small multiples of 1/4), no label set used again after remove() or clear(), no
// remove() of a label set never created.
#include <bentoml/metrics.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace metrics = bentoml::metrics;

namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return json_string(text);  // as a string: Python's float() reads nan, inf, -inf too
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + json_string(items[i]);
  return out + "]";
}

const std::vector<std::string> kLabelValues = {
    "", "a", "cuda:0", "2.1.0", "with space", "quote\"", "back\\slash", "new\nline", "tab\t",
    "ünïcödé", "emoji 😀", "中文", "trailing\\", "\\n literal", "{}=,", "#", "+Inf", "NaN", "-0"};
const std::vector<std::string> kLabelNames = {"a", "b", "device_id", "path", "code", "_x",
                                              "Le", "method", "x1"};
const std::vector<double> kSpecial = {
    0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.30000000000000004, 1.0 / 3, 1e-05, 0.0001, 123456789.0,
    1e15, 1e16, 1e22, -12.5, 5e-324, 1.7976931348623157e308, 999999.0, 1e6, 12345678901.5,
    std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
    std::numeric_limits<double>::quiet_NaN()};
const std::vector<double> kBounds = {0.001, 0.005, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 100, 1e6};

struct Metric {
  std::string type;
  std::string name;
  std::vector<std::string> labelnames;
  std::vector<double> buckets;
  std::unique_ptr<metrics::Counter> counter;
  std::unique_ptr<metrics::Gauge> gauge;
  std::unique_ptr<metrics::Histogram> histogram;
  std::unique_ptr<metrics::Summary> summary;
  std::set<std::vector<std::string>> live, dead;
};

template <class M>
auto child_of(M& metric, const std::vector<std::string>& values) {
  if (values.size() == 1) return metric.labels({values[0]});
  if (values.size() == 2) return metric.labels({values[0], values[1]});
  return metric.labels({values[0], values[1], values[2]});
}

template <class M>
void remove_child(M& metric, const std::vector<std::string>& values) {
  if (values.size() == 1) metric.remove({values[0]});
  else if (values.size() == 2) metric.remove({values[0], values[1]});
  else metric.remove({values[0], values[1], values[2]});
}

std::string scenario(std::mt19937_64& random, int index) {
  auto pick = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  auto amount = [&] { return static_cast<double>(pick(41)) / 4; };  // 0 .. 10 in quarters
  metrics::Registry registry;
  std::vector<std::unique_ptr<Metric>> family;
  std::string metrics_json = "[", ops_json = "[";
  const std::size_t metric_count = 1 + pick(4);
  static const char* kTypes[] = {"counter", "gauge", "histogram", "summary"};
  for (std::size_t m = 0; m < metric_count; ++m) {
    auto metric = std::make_unique<Metric>();
    metric->type = kTypes[pick(4)];
    metric->name = "m" + std::to_string(m) + "_" + std::to_string(index);
    std::set<std::string> names;
    const std::size_t label_count = pick(4);
    while (metric->labelnames.size() < label_count) {
      const std::string& name = kLabelNames[pick(kLabelNames.size())];
      if (names.insert(name).second) metric->labelnames.push_back(name);
    }
    const std::string documentation = "Doc " + kLabelValues[pick(kLabelValues.size())];
    if (metric->type == "histogram") {
      std::set<double> bounds;
      const std::size_t count = 1 + pick(5);
      while (bounds.size() < count) bounds.insert(kBounds[pick(kBounds.size())]);
      metric->buckets.assign(bounds.begin(), bounds.end());
      metric->histogram = std::make_unique<metrics::Histogram>(metrics::Histogram::Options{
          .name = metric->name, .documentation = documentation, .labelnames = metric->labelnames,
          .buckets = metric->buckets, .registry = &registry});
    } else if (metric->type == "counter") {
      metric->counter = std::make_unique<metrics::Counter>(metrics::Counter::Options{
          .name = metric->name, .documentation = documentation, .labelnames = metric->labelnames,
          .registry = &registry});
    } else if (metric->type == "gauge") {
      metric->gauge = std::make_unique<metrics::Gauge>(metrics::Gauge::Options{
          .name = metric->name, .documentation = documentation, .labelnames = metric->labelnames,
          .registry = &registry});
    } else {
      metric->summary = std::make_unique<metrics::Summary>(metrics::Summary::Options{
          .name = metric->name, .documentation = documentation, .labelnames = metric->labelnames,
          .registry = &registry});
    }
    std::vector<std::string> bucket_text;
    for (const double bound : metric->buckets) bucket_text.push_back(json_number(bound));
    std::string buckets = "[";
    for (std::size_t i = 0; i < bucket_text.size(); ++i) buckets += (i ? "," : "") + bucket_text[i];
    metrics_json += std::string(m ? "," : "") + "{\"type\":" + json_string(metric->type) +
                    ",\"name\":" + json_string(metric->name) + ",\"documentation\":" +
                    json_string(documentation) + ",\"labelnames\":" +
                    json_list(metric->labelnames) + ",\"buckets\":" + buckets + "]}";
    family.push_back(std::move(metric));
  }
  const std::size_t op_count = pick(30);
  bool first_op = true;
  for (std::size_t o = 0; o < op_count; ++o) {
    const std::size_t m = pick(family.size());
    Metric& metric = *family[m];
    std::vector<std::string> values;
    if (!metric.labelnames.empty()) {
      const int what = static_cast<int>(pick(10));
      if (what == 0 && !metric.live.empty()) {  // remove a live child
        auto it = metric.live.begin();
        std::advance(it, pick(metric.live.size()));
        values = *it;
        metric.dead.insert(values);
        metric.live.erase(it);
        if (metric.counter) remove_child(*metric.counter, values);
        if (metric.gauge) remove_child(*metric.gauge, values);
        if (metric.histogram) remove_child(*metric.histogram, values);
        if (metric.summary) remove_child(*metric.summary, values);
        ops_json += std::string(first_op ? "" : ",") + "[" + std::to_string(m) +
                    ",\"remove\"," + json_list(values) + "]";
        first_op = false;
        continue;
      }
      if (what == 1) {  // clear
        metric.dead.insert(metric.live.begin(), metric.live.end());
        metric.live.clear();
        if (metric.counter) metric.counter->clear();
        if (metric.gauge) metric.gauge->clear();
        if (metric.histogram) metric.histogram->clear();
        if (metric.summary) metric.summary->clear();
        ops_json += std::string(first_op ? "" : ",") + "[" + std::to_string(m) + ",\"clear\",[]]";
        first_op = false;
        continue;
      }
      for (std::size_t i = 0; i < metric.labelnames.size(); ++i) {
        values.push_back(kLabelValues[pick(kLabelValues.size())]);
      }
      if (metric.dead.count(values) != 0) continue;
      metric.live.insert(values);
    }
    std::string op;
    double value = 0;
    bool exemplar = false;
    std::string exemplar_value = kLabelValues[pick(kLabelValues.size())];
    if (metric.counter) {
      exemplar = pick(3) == 0;
      value = pick(3) == 0 ? 1.0 : amount();
      op = "inc";
      if (values.empty()) {
        if (exemplar) metric.counter->inc(value, {{"trace_id", exemplar_value}});
        else metric.counter->inc(value);
      } else {
        auto child = child_of(*metric.counter, values);
        if (exemplar) child.inc(value, {{"trace_id", exemplar_value}});
        else child.inc(value);
      }
    } else if (metric.gauge) {
      const int what = static_cast<int>(pick(3));
      op = what == 0 ? "set" : what == 1 ? "inc" : "dec";
      value = what == 0 ? kSpecial[pick(kSpecial.size())] : amount();
      auto apply = [&](auto&& target) {
        if (what == 0) target.set(value);
        else if (what == 1) target.inc(value);
        else target.dec(value);
      };
      if (values.empty()) apply(*metric.gauge);
      else apply(child_of(*metric.gauge, values));
    } else if (metric.histogram) {
      exemplar = pick(3) == 0;
      value = pick(2) == 0 ? kBounds[pick(kBounds.size())] : amount();
      op = "observe";
      if (values.empty()) {
        if (exemplar) metric.histogram->observe(value, {{"trace_id", exemplar_value}});
        else metric.histogram->observe(value);
      } else {
        auto child = child_of(*metric.histogram, values);
        if (exemplar) child.observe(value, {{"trace_id", exemplar_value}});
        else child.observe(value);
      }
    } else {
      value = amount();
      op = "observe";
      if (values.empty()) metric.summary->observe(value);
      else child_of(*metric.summary, values).observe(value);
    }
    ops_json += std::string(first_op ? "" : ",") + "[" + std::to_string(m) + "," +
                json_string(op) + "," + json_list(values) + "," + json_number(value) + "," +
                (exemplar ? json_string(exemplar_value) : std::string("null")) + "]";
    first_op = false;
  }
  return "{\"index\":" + std::to_string(index) + ",\"metrics\":" + metrics_json +
         "],\"ops\":" + ops_json + "],\"text\":" +
         json_string(metrics::generate_latest(registry, metrics::Format::text_0_0_4)) +
         ",\"openmetrics\":" +
         json_string(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0)) +
         "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: differential_scenarios COUNT SEED\n");
    return 2;
  }
  const int count = std::atoi(argv[1]);
  std::mt19937_64 random(std::strtoull(argv[2], nullptr, 10));
  for (int i = 0; i < count; ++i) std::fputs(scenario(random, i).c_str(), stdout);
  return 0;
}
