// A fixed single-threaded loop for callgrind's instruction counts (stable under machine load):
//   instructions_driver WORKLOAD OPS    WORKLOAD: counter_inc | histogram_observe | labels_observe
// bench/run runs it under valgrind --tool=callgrind at two op counts and divides the difference.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_support.hpp"
#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

std::uint64_t bench::allocations() noexcept { return 0; }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const long ops = std::atol(argv[2]);
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
  if (std::strcmp(argv[1], "counter_inc") == 0) {
    for (long i = 0; i < ops; ++i) counter_child.inc();
  } else if (std::strcmp(argv[1], "histogram_observe") == 0) {
    for (long i = 0; i < ops; ++i) histogram_child.observe(values[i & 4095]);
  } else if (std::strcmp(argv[1], "labels_observe") == 0) {
    for (long i = 0; i < ops; ++i) histogram.labels({"2.1.0", "cuda:0"}).observe(values[i & 4095]);
  } else {
    return 2;
  }
  std::printf("%ld\n", ops);
  return 0;
}
