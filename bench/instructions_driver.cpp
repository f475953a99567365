// A fixed single-threaded loop for callgrind's instruction counts (stable under machine load):
//   instructions_driver LIBRARY WORKLOAD OPS
//     LIBRARY: ours | prometheus_cpp
//     WORKLOAD: counter_inc | histogram_observe | labels_observe
// bench/run runs it under valgrind --tool=callgrind at two op counts and divides the difference,
// so that set-up cancels out.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "bench_support.hpp"
#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

std::uint64_t bench::allocations() noexcept { return 0; }

namespace {

int run_ours(std::string_view workload, long ops) {
  const auto& values = bench::observed_values();
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"code"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                .registry = &registry}};
  for (int i = 0; i < 15; ++i) histogram.labels({"1." + std::to_string(i), "cuda:0"});
  auto counter_child = counter.labels({"200"});
  auto histogram_child = histogram.labels({"2.1.0", "cuda:0"});
  if (workload == "counter_inc") {
    for (long i = 0; i < ops; ++i) counter_child.inc();
  } else if (workload == "histogram_observe") {
    for (long i = 0; i < ops; ++i) histogram_child.observe(values[i & 4095]);
  } else if (workload == "labels_observe") {
    for (long i = 0; i < ops; ++i) histogram.labels({"2.1.0", "cuda:0"}).observe(values[i & 4095]);
  } else {
    return 2;
  }
  return 0;
}

int run_prometheus_cpp(std::string_view workload, long ops) {
  const auto& values = bench::observed_values();
  prometheus::Registry registry;
  auto& counters = prometheus::BuildCounter().Name("c").Help("d").Register(registry);
  auto& histograms = prometheus::BuildHistogram().Name("h").Help("d").Register(registry);
  auto bounds = metrics::exponential_buckets(0.001, 1.5, 10.0);
  bounds.pop_back();  // prometheus-cpp adds +Inf itself
  const prometheus::Histogram::BucketBoundaries boundaries(bounds.begin(), bounds.end());
  for (int i = 0; i < 15; ++i) {
    histograms.Add({{"torch_version", "1." + std::to_string(i)}, {"device_id", "cuda:0"}},
                   boundaries);
  }
  auto& counter = counters.Add({{"code", "200"}});
  auto& histogram =
      histograms.Add({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}, boundaries);
  if (workload == "counter_inc") {
    for (long i = 0; i < ops; ++i) counter.Increment();
  } else if (workload == "histogram_observe") {
    for (long i = 0; i < ops; ++i) histogram.Observe(values[i & 4095]);
  } else if (workload == "labels_observe") {
    for (long i = 0; i < ops; ++i) {
      histograms.Add({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}, boundaries)
          .Observe(values[i & 4095]);
    }
  } else {
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ours|prometheus_cpp WORKLOAD OPS\n", argv[0]);
    return 2;
  }
  std::thread([] {}).join();  // as bench_main.cpp: glibc's mutexes as in a multi-threaded service
  const std::string_view library = argv[1];
  const long ops = std::atol(argv[3]);
  if (library == "ours") return run_ours(argv[2], ops);
  if (library == "prometheus_cpp") return run_prometheus_cpp(argv[2], ops);
  return 2;
}
