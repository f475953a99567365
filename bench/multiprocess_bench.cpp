// Recording in multiprocess mode, beside the single-process rows of recording_bench.cpp (same
// workloads, same series shapes): bench/report.py prints the ratio per type. The files live in a
// temporary directory that is removed at exit (the mappings stay valid until then).
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "bench_support.hpp"
#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;

namespace {

const std::vector<double>& values = bench::observed_values();

/// The directory of this run's files; created once, emptied and removed at exit. Never
/// destroyed: the exit handler that removes it runs after the statics built before it are gone.
const std::string& directory() {
  static const std::string& path = *new std::string([] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/bentoml-metrics-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    std::atexit([] {
      const std::string command = "rm -rf '" + directory() + "'";
      [[maybe_unused]] const int status = std::system(command.c_str());
    });
    return pattern;
  }());
  return path;
}

metrics::Registry& registry() {
  static metrics::Registry instance;
  return instance;
}

/// Constructs a metric with multiprocess mode on, leaving it off for everything else.
template <class Metric>
Metric in_files(typename Metric::Options options) {
  multiprocess::enable({directory()});
  options.registry = &registry();
  Metric metric(options);
  multiprocess::disable();
  return metric;
}

void multiprocess_counter_inc(benchmark::State& state) {
  static metrics::Counter counter = in_files<metrics::Counter>(
      {.name = "counter_inc", .documentation = "d", .labelnames = {"code"}});
  auto child = counter.labels({"200"});
  for (auto _ : state) child.inc();
}
BENCHMARK(multiprocess_counter_inc)
    ->Name("multiprocess_counter_inc/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void multiprocess_gauge_set(benchmark::State& state) {
  static metrics::Gauge gauge =
      in_files<metrics::Gauge>({.name = "gauge_set", .documentation = "d", .labelnames = {"code"}});
  auto child = gauge.labels({"200"});
  std::size_t index = 0;
  for (auto _ : state) child.set(values[index++ & 4095]);
}
BENCHMARK(multiprocess_gauge_set)
    ->Name("multiprocess_gauge_set/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void multiprocess_histogram_observe(benchmark::State& state) {
  static metrics::Histogram histogram =
      in_files<metrics::Histogram>({.name = "histogram_observe",
                                    .documentation = "d",
                                    .labelnames = {"torch_version", "device_id"},
                                    .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0)});
  auto child = histogram.labels({"2.1.0", "cuda:0"});
  std::size_t index = 0;
  for (auto _ : state) child.observe(values[index++ & 4095]);
}
BENCHMARK(multiprocess_histogram_observe)
    ->Name("multiprocess_histogram_observe/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void multiprocess_summary_observe(benchmark::State& state) {
  static metrics::Summary summary = in_files<metrics::Summary>(
      {.name = "summary_observe", .documentation = "d", .labelnames = {"route"}});
  auto child = summary.labels({"/predict"});
  std::size_t index = 0;
  for (auto _ : state) child.observe(values[index++ & 4095]);
}
BENCHMARK(multiprocess_summary_observe)
    ->Name("multiprocess_summary_observe/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
