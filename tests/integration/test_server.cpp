// A service for the HTTP tests: serves metrics with Exposer on 127.0.0.1 and a free port, prints
// "port N" once listening, optionally records, and exits when stdin closes. With
// --record-threads N, N threads increment one counter and observe into one histogram child each
// as fast as they can until then. At exit it prints each thread's operation count
// ("operations cuda:T N") and the final counter and histogram count samples ("final <sample>").
//
//   test_server [--auth user:password] [--tls cert.pem] [--record-threads N] [--workload]
//               [--port P | --listen address:port] [--path /p] [--threads N]
//               [--request-timeout-ms T] [--series N]
#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace metrics = bentoml::metrics;

int main(int argc, char** argv) {
  // The HTTP tests compare scrapes byte for byte; the process metrics change by themselves.
  metrics::default_registry().unregister(*metrics::process_collector());
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.threads = 4;
  int record_threads = 0;
  bool workload = false;
  int series = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--auth") {
      const std::string credentials = next;
      const std::size_t colon = credentials.find(':');
      options.basic_auth =
          metrics::BasicAuth{credentials.substr(0, colon), credentials.substr(colon + 1)};
      ++i;
    } else if (arg == "--tls") {
      options.tls_certificate = next;
      ++i;
    } else if (arg == "--port") {
      options.listen = {std::string("127.0.0.1:") + next};
      ++i;
    } else if (arg == "--listen") {
      options.listen = {next};
      ++i;
    } else if (arg == "--path") {
      options.path = next;
      ++i;
    } else if (arg == "--record-threads") {
      record_threads = std::atoi(next);
      ++i;
    } else if (arg == "--threads") {
      options.threads = std::atoi(next);
      ++i;
    } else if (arg == "--request-timeout-ms") {
      options.request_timeout_ms = std::atoi(next);
      ++i;
    } else if (arg == "--series") {
      series = std::atoi(next);
      ++i;
    } else if (arg == "--workload") {
      workload = true;
    }
  }

  metrics::Histogram inference_duration{
      {.name = "inference_duration",
       .documentation = "Duration of inference",
       .labelnames = {"torch_version", "device_id"},
       .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0)}};
  metrics::Counter requests{
      {.name = "requests", .documentation = "Requests", .labelnames = {"code"}}};
  metrics::Gauge temperature{
      {.name = "temperature", .documentation = "Temperature", .unit = "celsius"}};
  temperature.set(21.5);
  // Something in every bucket shape, and an exemplar, from the start.
  inference_duration.labels({"2.1.0", "cuda:0"}).observe(0.012, {{"trace_id", "abc123"}});
  requests.labels({"200"}).inc(1, {{"trace_id", "def456"}});

  // --series N: N more series (one counter with N children), for scrapes of realistic size.
  metrics::Counter bulk{{.name = "bulk", .documentation = "Bulk series", .labelnames = {"i"}}};
  for (int i = 0; i < series; ++i) bulk.labels({std::to_string(i)}).inc();

  std::unique_ptr<metrics::Exposer> exposer;
  try {
    exposer = std::make_unique<metrics::Exposer>(options);
  } catch (const metrics::Error& error) {
    std::printf("error %s\n", error.what());
    return 3;
  }
  std::printf("port %d\n", exposer->port());
  std::fflush(stdout);

  std::atomic<bool> running{true};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(record_threads) + 1);
  std::vector<long> operations(static_cast<std::size_t>(record_threads), 0);
  for (int t = 0; t < record_threads; ++t) {
    threads.emplace_back([&, t] {
      auto counter = requests.labels({"recorded"});
      auto histogram = inference_duration.labels({"2.1.0", "cuda:" + std::to_string(t + 1)});
      long done = 0;
      while (running.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 1000; ++i, ++done) {
          counter.inc();
          histogram.observe(0.001 * static_cast<double>(done % 1000));
        }
      }
      operations[static_cast<std::size_t>(t)] = done;
    });
  }
  if (workload) {
    threads.emplace_back([&] {
      std::mt19937 random(42);
      std::lognormal_distribution<double> latency(std::log(0.02), 0.7);
      auto child = inference_duration.labels({"2.1.0", "cuda:0"});
      while (running) {
        for (int i = 0; i < 100; ++i) child.observe(latency(random));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  running = false;
  for (auto& thread : threads) thread.join();
  exposer->stop();
  exposer->stop();  // idempotent
  for (int t = 0; t < record_threads; ++t) {
    std::printf("operations cuda:%d %ld\n", t + 1, operations[static_cast<std::size_t>(t)]);
  }
  const std::string text = metrics::generate_latest();
  for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
    end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    if (line.rfind("requests_total{", 0) == 0 || line.rfind("inference_duration_count{", 0) == 0) {
      std::printf("final %s\n", line.c_str());
    }
  }
  return 0;
}
