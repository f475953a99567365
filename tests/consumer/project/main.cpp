// The README quick start as an outside program: define metrics, record, serve, print the text.
// (consumer_test.sh also compiles the README's block itself, as written.)
#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <cstring>
#include <iostream>

namespace metrics = bentoml::metrics;

int main() {
#ifdef EXPECTED_VERSION  // the version find_package() found
  if (std::strcmp(BENTOML_METRICS_VERSION_STRING, EXPECTED_VERSION) != 0) {
    std::cerr << "headers say " << BENTOML_METRICS_VERSION_STRING << ", the package "
              << EXPECTED_VERSION << "\n";
    return 1;
  }
#endif
  std::cout << "version " << BENTOML_METRICS_VERSION_STRING << "\n";
  metrics::Histogram inference_duration{
      {.name = "inference_duration",
       .documentation = "Duration of inference",
       .labelnames = {"torch_version", "device_id"},
       .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0)}};
  inference_duration.labels({"2.1.0", "cuda:0"}).observe(0.012);
  inference_duration.labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}}).observe(0.02);
  { auto timer = inference_duration.labels({"2.1.0", "cuda:0"}).time(); }

  metrics::Counter requests{
      {.name = "requests", .documentation = "Requests", .labelnames = {"code"}}};
  requests.labels({"200"}).inc();
  requests.labels({"200"}).inc(2.5);
  metrics::Gauge in_progress{{.name = "in_progress", .documentation = "In flight"}};
  in_progress.inc();
  in_progress.dec();
  in_progress.set_to_current_time();
  in_progress.set(3);
  { auto scope = in_progress.track_inprogress(); }
  metrics::Summary payload{{.name = "payload_bytes", .documentation = "Payload size"}};
  payload.observe(512);

  auto server = metrics::start_http_server(0);  // a free port on every IPv4 interface
  std::cout << "listening " << (server.port() > 0 ? "yes" : "no") << "\n";
  std::cout << metrics::generate_latest();
  return 0;
}
