// Label values, HELP text, exemplars and values through both exposition formats: any bytes in.
// Either the call throws metrics::Error (and records nothing), or both expositions read back
// (an independent reader, fuzz_support.hpp) with exactly the label values given.
//
// With BENTOML_FUZZ_DUMP=<file>, each input also appends one JSON line (bytes as hex: the inputs,
// what was accepted, both expositions) for fuzz/check_dump.py, which has prometheus_client's two
// parsers read the expositions and compare values: scripts/fuzz.sh runs the final corpus so.
#include <fuzzer/FuzzedDataProvider.h>

#include <bentoml/metrics.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace metrics = bentoml::metrics;

namespace {

double any_double(FuzzedDataProvider& in) {
  const auto bits = in.ConsumeIntegral<std::uint64_t>();
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

bool has_child(const std::vector<fuzz::Sample>& samples, const std::string& name,
               const std::vector<std::pair<std::string, std::string>>& labels) {
  for (const auto& sample : samples) {
    if (sample.name == name && sample.labels == labels) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string a = in.ConsumeRandomLengthString(64);
  const std::string b = in.ConsumeRandomLengthString(64);
  const std::string help = in.ConsumeRandomLengthString(64);
  const std::string exemplar_name = in.ConsumeRandomLengthString(16);
  const std::string exemplar_value = in.ConsumeRandomLengthString(160);
  const double value = any_double(in);

  metrics::Registry registry;
  std::optional<metrics::Counter> counter_storage;
  bool help_accepted = true;
  try {
    counter_storage.emplace(metrics::Counter::Options{
        .name = "c", .documentation = help, .labelnames = {"a", "b"}, .registry = &registry});
  } catch (const metrics::Error&) {
    help_accepted = false;  // HELP text that is not UTF-8
    counter_storage.emplace(metrics::Counter::Options{
        .name = "c", .documentation = "counter", .labelnames = {"a", "b"}, .registry = &registry});
  }
  metrics::Counter& counter = *counter_storage;
  metrics::Gauge gauge{{.name = "g", .documentation = "gauge", .labelnames = {"a"},
                        .registry = &registry}};
  metrics::Histogram histogram{{.name = "h", .documentation = "histogram", .labelnames = {"a"},
                                .buckets = {1, 2}, .registry = &registry}};
  bool counter_child = false, gauge_child = false, histogram_child = false;
  bool counter_exemplar = false, histogram_exemplar = false;
  try {
    auto child = counter.labels({a, b});
    counter_child = true;
    child.inc(std::fabs(value) < 1e300 ? std::fabs(value) : 1.0,
              {{exemplar_name, exemplar_value}});
    counter_exemplar = true;
  } catch (const metrics::Error&) {
  }
  try {
    gauge.labels({b}).set(value);
    gauge_child = true;
  } catch (const metrics::Error&) {
  }
  try {
    auto child = histogram.labels({a});
    histogram_child = true;
    // Neither NaN nor negative: a NaN or negative _sum (with buckets >= 0) is refused by
    // prometheus_client's OpenMetrics parser, its own output too (the README's bad-input table).
    child.observe(std::isnan(value) ? 0.0 : std::fabs(value), {{exemplar_name, exemplar_value}});
    histogram_exemplar = true;
  } catch (const metrics::Error&) {
  }
  // Exactly the label values that are valid UTF-8 are accepted (an independent decoder).
  if (counter_child != (fuzz::valid_utf8(a) && fuzz::valid_utf8(b))) {
    fuzz::fail(std::string("label values ") + (counter_child ? "accepted" : "rejected"), a + b);
  }
  if (help_accepted != fuzz::valid_utf8(help)) fuzz::fail("HELP text check", help);
  // A label value is accepted or rejected the same way by every metric.
  if (counter_child && (gauge_child != histogram_child)) {
    fuzz::fail("label value accepted by one metric and not another");
  }

  const std::string text = metrics::generate_latest(registry, metrics::Format::text_0_0_4);
  const std::string openmetrics =
      metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  for (const std::string* exposition : {&text, &openmetrics}) {
    const auto samples = fuzz::read_samples(*exposition);
    const std::string counter_name = exposition == &text ? "c_total" : "c_total";
    if (counter_child && !has_child(samples, counter_name, {{"a", a}, {"b", b}})) {
      fuzz::fail("counter child not read back", *exposition);
    }
    if (gauge_child && !has_child(samples, "g", {{"a", b}})) {
      fuzz::fail("gauge child not read back", *exposition);
    }
    if (histogram_child && !has_child(samples, "h_bucket", {{"a", a}, {"le", "+Inf"}})) {
      fuzz::fail("histogram child not read back", *exposition);
    }
  }
  if (openmetrics.size() < 6 || openmetrics.compare(openmetrics.size() - 6, 6, "# EOF\n") != 0) {
    fuzz::fail("OpenMetrics without # EOF", openmetrics);
  }

  if (const char* dump = std::getenv("BENTOML_FUZZ_DUMP")) {
    if (std::FILE* file = std::fopen(dump, "a")) {
      std::string line = "{\"a\":\"" + fuzz::hex(a) + "\",\"b\":\"" + fuzz::hex(b) +
                         "\",\"help\":\"" + fuzz::hex(help_accepted ? help : std::string("counter")) + "\",\"exemplar_name\":\"" +
                         fuzz::hex(exemplar_name) + "\",\"exemplar_value\":\"" +
                         fuzz::hex(exemplar_value) + "\",\"value\":\"" +
                         fuzz::hex(std::string_view(reinterpret_cast<const char*>(&value),
                                                    sizeof value)) +
                         "\",\"counter\":" + (counter_child ? "true" : "false") +
                         ",\"counter_exemplar\":" + (counter_exemplar ? "true" : "false") +
                         ",\"gauge\":" + (gauge_child ? "true" : "false") +
                         ",\"histogram\":" + (histogram_child ? "true" : "false") +
                         ",\"histogram_exemplar\":" + (histogram_exemplar ? "true" : "false") +
                         ",\"text\":\"" + fuzz::hex(text) + "\",\"openmetrics\":\"" +
                         fuzz::hex(openmetrics) + "\"}\n";
      std::fwrite(line.data(), 1, line.size(), file);
      std::fclose(file);
    }
  }
  return 0;
}
