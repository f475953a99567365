// The fixed metrics scenario of the conformance tests. Prints the exposition of one registry in
// the format named by argv[1] ("text" or "openmetrics"). python_scenario.py builds the same
// metrics with prometheus_client; compare_with_python.py compares the two.
#include <bentoml/metrics.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace metrics = bentoml::metrics;

int main(int argc, char** argv) {
  const bool openmetrics = argc > 1 && std::strcmp(argv[1], "openmetrics") == 0;
  metrics::Registry registry;

  metrics::Counter requests{{.name = "requests_total",
                             .documentation = "Requests served",
                             .labelnames = {"code", "method"},
                             .registry = &registry}};
  requests.labels({"200", "GET"}).inc();
  requests.labels({"200", "GET"}).inc(2.5);
  requests.labels({{"method", "POST"}, {"code", "500"}}).inc(0.1);
  requests.labels({"404", "GET"}).inc();
  requests.remove({"404", "GET"});

  metrics::Counter jobs{{.name = "jobs", .documentation = "Jobs done", .registry = &registry}};
  jobs.inc(7);

  metrics::Gauge temperature{{.name = "temperature",
                              .documentation = "Temperature",
                              .labelnames = {"sensor"},
                              .namespace_ = "plant",
                              .subsystem = "boiler",
                              .unit = "celsius",
                              .registry = &registry}};
  temperature.labels({"nan"}).set(std::nan(""));
  temperature.labels({"inf"}).set(INFINITY);
  temperature.labels({"minus_inf"}).set(-INFINITY);
  temperature.labels({"negative"}).set(-12.5);
  temperature.labels({"large"}).set(123456789.0);
  temperature.labels({"huge"}).set(1e22);
  temperature.labels({"tiny"}).set(0.00001);
  temperature.labels({"small"}).set(0.0001);
  temperature.labels({"escaped"}).set(1);
  temperature.labels({"quote\"back\\slash\nnewline ünï"}).set(2);

  metrics::Gauge help{{.name = "help_escapes",
                       .documentation = "Help with back\\slash and\nnewline and \"quotes\"",
                       .registry = &registry}};
  help.set(3);

  metrics::Gauge unused{{.name = "unused",
                         .documentation = "No children yet",
                         .labelnames = {"a"},
                         .registry = &registry}};

  metrics::Histogram inference_duration{{.name = "inference_duration",
                                         .documentation = "Duration of inference",
                                         .labelnames = {"torch_version", "device_id"},
                                         .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                         .registry = &registry}};
  for (double value : {0.0005, 0.001, 0.0012, 0.012, 0.3, 2.0, 9.99, 10.0, 11.0}) {
    inference_duration.labels({"2.1.0", "cuda:0"}).observe(value);
  }
  inference_duration.labels({"2.1.0", "cuda:1"}).observe(0.05);

  metrics::Histogram defaults{{.name = "request_latency",
                               .documentation = "Latency",
                               .unit = "seconds",
                               .registry = &registry}};
  defaults.observe(0.3);
  defaults.observe(0.007);

  metrics::Histogram linear{{.name = "linear",
                             .documentation = "Linear buckets",
                             .buckets = metrics::linear_buckets(0, 0.1, 0.5),
                             .registry = &registry}};
  linear.observe(0.25);

  metrics::Summary payload{{.name = "payload",
                            .documentation = "Payload size",
                            .labelnames = {"route"},
                            .unit = "bytes",
                            .registry = &registry}};
  payload.labels({"/predict"}).observe(512);
  payload.labels({"/predict"}).observe(1024.5);

  metrics::Histogram traced{{.name = "traced",
                             .documentation = "With exemplars",
                             .buckets = {0.1, 1},
                             .registry = &registry}};
  traced.observe(0.05, {{"trace_id", "abc123"}});
  traced.observe(0.5, {{"trace_id", "def456"}, {"span_id", "s1"}});
  metrics::Counter traced_counter{
      {.name = "traced_events", .documentation = "Counted with exemplar", .registry = &registry}};
  traced_counter.inc(2, {{"trace_id", "ghi789"}});

  const std::string text = metrics::generate_latest(
      registry, openmetrics ? metrics::Format::openmetrics_1_0_0 : metrics::Format::text_0_0_4);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
