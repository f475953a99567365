// A C++17 program that records with bentoml::metrics_core only and prints the exposition: the
// Options filled field by field (designated initializers are C++20), no HTTP endpoint.
#include <bentoml/metrics.hpp>

#include <iostream>

static_assert(__cplusplus >= 201703L && __cplusplus < 202002L, "built as C++17");

namespace bentoml::metrics {
// <bentoml/metrics.hpp> must not declare the HTTP endpoint: this variable would clash with the
// class Exposer of <bentoml/metrics/http_server.hpp>.
[[maybe_unused]] const int Exposer = 0;
}  // namespace bentoml::metrics

namespace metrics = bentoml::metrics;

int main() {
  metrics::Histogram::Options histogram_options;
  histogram_options.name = "inference_duration";
  histogram_options.documentation = "Duration of inference";
  histogram_options.labelnames = {"torch_version", "device_id"};
  histogram_options.buckets = metrics::exponential_buckets(0.001, 1.5, 10.0);
  metrics::Histogram inference_duration{histogram_options};
  inference_duration.labels({"2.1.0", "cuda:0"}).observe(0.012);
  inference_duration.labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}}).observe(0.02);
  { auto timer = inference_duration.labels({"2.1.0", "cuda:0"}).time(); }

  metrics::Counter::Options counter_options;
  counter_options.name = "requests";
  counter_options.documentation = "Requests";
  counter_options.labelnames = {"code"};
  metrics::Counter requests{counter_options};
  requests.labels({"200"}).inc();
  requests.labels({"200"}).inc(2.5);

  metrics::Gauge::Options gauge_options;
  gauge_options.name = "in_progress";
  gauge_options.documentation = "In flight";
  metrics::Gauge in_progress{gauge_options};
  { auto scope = in_progress.track_inprogress(); }

  metrics::Summary::Options summary_options;
  summary_options.name = "payload_bytes";
  summary_options.documentation = "Payload size";
  metrics::Summary payload{summary_options};
  payload.observe(512);

  std::cout << "version " << BENTOML_METRICS_VERSION_STRING << "\n";
  std::cout << metrics::generate_latest();
  return 0;
}
