// ServiceMetrics' request guard against the raw metrics it touches: one request recorded as
// BentoML records it (in-progress +1/-1, request counter, duration histogram, two clock reads).
//
//   bentoml_request/guard          auto scope = endpoint.start(); scope.set_status(200);
//   bentoml_request/raw_children   the same work by hand on children resolved beforehand
//   bentoml_request/raw_labels     the same by hand with labels() lookups per request, as code
//                                  without the helper usually does
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

metrics::Registry& guard_registry() {
  static metrics::Registry registry;
  return registry;
}

metrics::ServiceMetrics& service() {
  static metrics::ServiceMetrics service{[] {
    metrics::ServiceMetrics::Options options;
    options.service_name = "pytorch_mnist";
    options.registry = &guard_registry();
    return options;
  }()};
  return service;
}

/// The same four metrics the guard records into, declared by hand.
struct RawMetrics {
  metrics::Registry registry;
  metrics::Gauge in_progress{[&] {
    metrics::Gauge::Options options;
    options.name = "bentoml_service_request_in_progress";
    options.documentation = "d";
    options.labelnames = {"endpoint", "service_name", "service_version", "runner_name"};
    options.registry = &registry;
    return options;
  }()};
  metrics::Counter total{[&] {
    metrics::Counter::Options options;
    options.name = "bentoml_service_request_total";
    options.documentation = "d";
    options.labelnames = {"endpoint", "service_name", "service_version", "runner_name",
                          "http_response_code"};
    options.registry = &registry;
    return options;
  }()};
  metrics::Histogram duration{[&] {
    metrics::Histogram::Options options;
    options.name = "bentoml_service_request_duration_seconds";
    options.documentation = "d";
    options.labelnames = {"endpoint", "service_name", "service_version", "runner_name",
                          "http_response_code"};
    options.registry = &registry;
    return options;
  }()};
};

RawMetrics& raw() {
  static RawMetrics metrics;
  return metrics;
}

void guard(benchmark::State& state) {
  static metrics::EndpointMetrics& endpoint = service().api_endpoint("/predict");
  for (auto _ : state) {
    auto scope = endpoint.start();
    scope.set_status(200);
  }
}
BENCHMARK(guard)->Name("bentoml_request/guard")->Threads(1)->Threads(2)->UseRealTime();

void raw_children(benchmark::State& state) {
  static auto in_progress =
      raw().in_progress.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist"});
  static auto total =
      raw().total.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist", "200"});
  static auto duration =
      raw().duration.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist", "200"});
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    in_progress.inc();
    benchmark::ClobberMemory();
    in_progress.dec();
    total.inc();
    duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}
BENCHMARK(raw_children)
    ->Name("bentoml_request/raw_children")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void raw_labels(benchmark::State& state) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto in_progress =
        raw().in_progress.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist"});
    in_progress.inc();
    benchmark::ClobberMemory();
    in_progress.dec();
    const std::string code = "200";
    raw().total.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist", code}).inc();
    raw()
        .duration.labels({"/predict", "pytorch_mnist", "not available", "pytorch_mnist", code})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}
BENCHMARK(raw_labels)->Name("bentoml_request/raw_labels")->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
