// Metric and label name validation: any bytes as name, namespace, subsystem, unit, label names
// (and Enum states) of every metric type. Either the constructor throws metrics::Error, or every
// name in both expositions follows Prometheus' grammar and the exposition reads back. A plain
// valid gauge definition must be accepted.
#include <fuzzer/FuzzedDataProvider.h>

#include <bentoml/metrics.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace metrics = bentoml::metrics;

namespace {

std::string last_error;

template <class Metric, class Options>
bool construct(Options options, metrics::Registry& registry, std::size_t label_count) {
  options.registry = &registry;
  try {
    Metric metric{options};
    if (label_count > 0) {
      // One child, so that samples with every label name are written.
      std::vector<std::string> values(label_count, "v");
      if (label_count == 1) metric.labels({values[0]});
      if (label_count == 2) metric.labels({values[0], values[1]});
      if (label_count == 3) metric.labels({values[0], values[1], values[2]});
    }
    return true;
  } catch (const metrics::Error& error) {
    last_error = error.what();
    return false;
  }
}

bool plain_valid(const std::string& name, const std::vector<std::string>& labelnames) {
  if (!fuzz::valid_metric_name(name)) return false;
  for (std::size_t i = 0; i < labelnames.size(); ++i) {
    const std::string& label = labelnames[i];
    if (!fuzz::valid_label_name(label) || label.rfind("__", 0) == 0) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (labelnames[j] == label) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int type = in.ConsumeIntegralInRange(0, 5);
  const bool plain = in.ConsumeBool();  // no namespace, subsystem or unit
  const std::size_t label_count = in.ConsumeIntegralInRange<std::size_t>(0, 3);
  std::vector<std::string> labelnames;
  for (std::size_t i = 0; i < label_count; ++i) labelnames.push_back(in.ConsumeRandomLengthString(24));
  std::string namespace_, subsystem, unit;
  if (!plain) {
    namespace_ = in.ConsumeRandomLengthString(16);
    subsystem = in.ConsumeRandomLengthString(16);
    unit = in.ConsumeRandomLengthString(16);
  }
  const std::string documentation = in.ConsumeRandomLengthString(32);
  const std::string name = in.ConsumeRemainingBytesAsString();

  metrics::Registry registry;
  bool accepted = false;
  switch (type) {
    case 0:
      accepted = construct<metrics::Counter>(
          metrics::Counter::Options{name, documentation, labelnames, namespace_, subsystem, unit},
          registry, label_count);
      break;
    case 1:
      accepted = construct<metrics::Gauge>(
          metrics::Gauge::Options{name, documentation, labelnames, namespace_, subsystem, unit},
          registry, label_count);
      break;
    case 2: {
      metrics::Histogram::Options options{name, documentation, labelnames, namespace_, subsystem,
                                          unit};
      options.buckets = {1, 2};
      accepted = construct<metrics::Histogram>(options, registry, label_count);
      break;
    }
    case 3:
      accepted = construct<metrics::Summary>(
          metrics::Summary::Options{name, documentation, labelnames, namespace_, subsystem, unit},
          registry, label_count);
      break;
    case 4:
      accepted = construct<metrics::Info>(
          metrics::Info::Options{name, documentation, labelnames, namespace_, subsystem},
          registry, label_count);
      break;
    default: {
      metrics::Enum::Options options{name, documentation, labelnames, namespace_, subsystem};
      options.states = {"a", unit.empty() ? std::string("b") : unit};
      accepted = construct<metrics::Enum>(options, registry, label_count);
      break;
    }
  }
  if (!accepted) {
    // Python accepts every gauge whose names follow the grammar; so must we.
    if (type == 1 && plain && plain_valid(name, labelnames) && fuzz::valid_utf8(documentation)) {
      fuzz::fail("a valid gauge definition was rejected", last_error);
    }
    return 0;
  }
  for (const auto format : {metrics::Format::text_0_0_4, metrics::Format::openmetrics_1_0_0}) {
    const std::string text = metrics::generate_latest(registry, format);
    const auto samples = fuzz::read_samples(text);
    if (label_count > 0 && samples.empty()) fuzz::fail("no sample written", text);
  }
  return 0;
}
