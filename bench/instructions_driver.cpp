// A fixed single-threaded loop for callgrind's instruction counts (stable under machine load):
//   instructions_driver LIBRARY WORKLOAD OPS
//     LIBRARY: ours | prometheus_cpp
//     WORKLOAD: counter_inc | counter_add_fraction | gauge_set | gauge_inc | histogram_observe |
//               summary_observe | labels_observe, or one of those prefixed `multiprocess_` (ours
//               only: the metrics recording into a multiprocess directory under $TMPDIR or /tmp);
//               scrape_counters (ours only: OPS scrapes of 10,000 counters, a reused buffer)
// bench/run runs it under valgrind --tool=callgrind at two op counts and divides the difference,
// so that set-up cancels out.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <stdlib.h>

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
#if __has_include("bentoml/metrics/multiprocess.hpp")
  std::string directory;
  if (workload.rfind("multiprocess_", 0) == 0) {
    workload.remove_prefix(std::string_view("multiprocess_").size());
    const char* base = std::getenv("TMPDIR");
    directory = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                "/bentoml-metrics-instructions-XXXXXX";
    if (::mkdtemp(directory.data()) == nullptr) return 1;
    metrics::multiprocess::enable({directory});
  }
#endif
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"code"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                .registry = &registry}};
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"code"}, .registry = &registry}};
  metrics::Summary summary{
      {.name = "s", .documentation = "d", .labelnames = {"route"}, .registry = &registry}};
  for (int i = 0; i < 15; ++i) histogram.labels({"1." + std::to_string(i), "cuda:0"});
  auto counter_child = counter.labels({"200"});
  auto gauge_child = gauge.labels({"200"});
  auto summary_child = summary.labels({"/predict"});
  auto histogram_child = histogram.labels({"2.1.0", "cuda:0"});
#if __has_include("bentoml/metrics/multiprocess.hpp")
  if (!directory.empty()) {
    metrics::multiprocess::disable();
    const std::string command = "rm -rf '" + directory + "'";  // the mappings stay valid
    if (std::system(command.c_str()) != 0) return 1;
  }
#endif
  if (workload == "scrape_counters") {  // ops scrapes of 10,000 counters into a reused buffer
    metrics::Registry scraped;
    metrics::Counter many{{.name = "requests",
                           .documentation = "Requests served",
                           .labelnames = {"path"},
                           .registry = &scraped}};
    for (int i = 0; i < 10000; ++i) many.labels({"/api/v1/resource/" + std::to_string(i)}).inc();
    std::string out;
    for (long i = 0; i < ops; ++i) {
      out.clear();
      metrics::write_latest(out, scraped, metrics::Format::text_0_0_4);
    }
  } else if (workload == "counter_inc") {
    for (long i = 0; i < ops; ++i) counter_child.inc();
  } else if (workload == "counter_add_fraction") {
    for (long i = 0; i < ops; ++i) counter_child.inc(0.5);
  } else if (workload == "gauge_set") {
    for (long i = 0; i < ops; ++i) gauge_child.set(values[i & 4095]);
  } else if (workload == "gauge_inc") {
    for (long i = 0; i < ops; ++i) gauge_child.inc(values[i & 4095]);
  } else if (workload == "summary_observe") {
    for (long i = 0; i < ops; ++i) summary_child.observe(values[i & 4095]);
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
