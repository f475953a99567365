// The demo: an "inference service" that records the metrics of the BentoML guide and serves them
// live on http://127.0.0.1:3001/metrics until Ctrl-C (or for --seconds N).
//
//   curl -s localhost:3001/metrics
//   curl -s -H 'Accept: application/openmetrics-text; version=1.0.0' localhost:3001/metrics
#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace metrics = bentoml::metrics;

namespace {
std::atomic<bool> running{true};
void on_signal(int) { running = false; }
}  // namespace

int main(int argc, char** argv) {
  int port = 3001;
  double seconds = 0;  // 0: until Ctrl-C
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  metrics::Histogram inference_duration{
      {.name = "inference_duration",
       .documentation = "Duration of inference",
       .labelnames = {"torch_version", "device_id"},
       .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0)}};
  metrics::Counter requests{{.name = "requests",
                             .documentation = "Inference requests by result",
                             .labelnames = {"code"}}};
  metrics::Gauge in_progress{{.name = "in_progress", .documentation = "Requests in flight"}};
  metrics::Summary payload{
      {.name = "payload", .documentation = "Request payload size", .unit = "bytes"}};

  auto server = metrics::start_http_server(port, "127.0.0.1");  // this machine only
  std::printf("serving http://127.0.0.1:%d/metrics (Ctrl-C to stop)\n", server.port());
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (int worker = 0; worker < 2; ++worker) {
    workers.emplace_back([&, worker] {
      std::mt19937 random(worker);
      std::lognormal_distribution<double> latency(std::log(0.005), 0.8);
      std::uniform_int_distribution<int> size(100, 4000);
      const std::string device = "cuda:" + std::to_string(worker);
      auto histogram = inference_duration.labels({"2.1.0", device});
      while (running) {
        auto scope = in_progress.track_inprogress();
        const double seconds_taken = latency(random);
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds_taken / 10));
        histogram.observe(seconds_taken, {{"trace_id", std::to_string(random())}});
        requests.labels({random() % 50 == 0 ? "500" : "200"}).inc();
        payload.observe(size(random));
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  while (running) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (seconds > 0 &&
        std::chrono::steady_clock::now() - start > std::chrono::duration<double>(seconds)) {
      running = false;
    }
  }
  for (auto& worker : workers) worker.join();
  std::printf("%s", metrics::generate_latest().c_str());
  return 0;
}
