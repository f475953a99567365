// Recording workloads of BENCH.md, this library and prometheus-cpp side by side: one shared
// series, 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bench_support.hpp"
#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

const std::vector<double>& values = bench::observed_values();

// ---- baseline -------------------------------------------------------------------------------

void baseline_atomic_add(benchmark::State& state) {
  static std::atomic<std::uint64_t> shared{0};
  for (auto _ : state) shared.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(baseline_atomic_add)->Threads(1)->Threads(2)->UseRealTime();

// The floor of any histogram observation that keeps an exact `_sum` (each value added in turn
// to one double, as prometheus_client does): one writer's load, add and store of that double in
// memory, a chain from each op to the next through a store-to-load forward and a floating-point
// add. Nothing else of an observation is in it.
void baseline_exact_sum(benchmark::State& state) {
  using bentoml::metrics::detail::bits_to_double;
  using bentoml::metrics::detail::double_to_bits;
  static std::atomic<std::uint64_t> sum{0};
  std::size_t index = 0;
  for (auto _ : state) {
    // As a histogram shard adds to its `_sum` (detail/histogram_shard.hpp).
    const double total =
        bits_to_double(sum.load(std::memory_order_relaxed)) + values[index++ & 4095];
    sum.store(double_to_bits(total), std::memory_order_release);
  }
}
BENCHMARK(baseline_exact_sum)->Threads(1)->UseRealTime();

// ---- counter_inc ----------------------------------------------------------------------------

metrics::Registry& our_registry() {
  static metrics::Registry registry;
  return registry;
}
prometheus::Registry& their_registry() {
  static prometheus::Registry registry;
  return registry;
}

void counter_inc_ours(benchmark::State& state) {
  static metrics::Counter counter{{.name = "counter_inc",
                                   .documentation = "d",
                                   .labelnames = {"code"},
                                   .registry = &our_registry()}};
  auto child = counter.labels({"200"});
  for (auto _ : state) child.inc();
}
BENCHMARK(counter_inc_ours)->Name("counter_inc/ours")->Threads(1)->Threads(2)->UseRealTime();

void counter_inc_prometheus_cpp(benchmark::State& state) {
  static auto& family =
      prometheus::BuildCounter().Name("counter_inc").Help("d").Register(their_registry());
  static auto& counter = family.Add({{"code", "200"}});
  for (auto _ : state) counter.Increment();
}
BENCHMARK(counter_inc_prometheus_cpp)
    ->Name("counter_inc/prometheus_cpp")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// ---- gauge_set ------------------------------------------------------------------------------

void gauge_set_ours(benchmark::State& state) {
  static metrics::Gauge gauge{{.name = "gauge_set",
                               .documentation = "d",
                               .labelnames = {"code"},
                               .registry = &our_registry()}};
  auto child = gauge.labels({"200"});
  std::size_t index = 0;
  for (auto _ : state) child.set(values[index++ & 4095]);
}
BENCHMARK(gauge_set_ours)->Name("gauge_set/ours")->Threads(1)->Threads(2)->UseRealTime();

void gauge_set_prometheus_cpp(benchmark::State& state) {
  static auto& family =
      prometheus::BuildGauge().Name("gauge_set").Help("d").Register(their_registry());
  static auto& gauge = family.Add({{"code", "200"}});
  std::size_t index = 0;
  for (auto _ : state) gauge.Set(values[index++ & 4095]);
}
BENCHMARK(gauge_set_prometheus_cpp)
    ->Name("gauge_set/prometheus_cpp")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// ---- histogram_observe ----------------------------------------------------------------------

const std::vector<double>& bentoml_bounds() {
  static const std::vector<double> bounds = metrics::exponential_buckets(0.001, 1.5, 10.0);
  return bounds;
}
prometheus::Histogram::BucketBoundaries their_bounds() {
  auto bounds = bentoml_bounds();
  bounds.pop_back();  // prometheus-cpp adds +Inf itself
  return bounds;
}

void histogram_observe_ours(benchmark::State& state) {
  static metrics::Histogram histogram{{.name = "histogram_observe",
                                       .documentation = "d",
                                       .labelnames = {"torch_version", "device_id"},
                                       .buckets = bentoml_bounds(),
                                       .registry = &our_registry()}};
  auto child = histogram.labels({"2.1.0", "cuda:0"});
  std::size_t index = 0;
  for (auto _ : state) child.observe(values[index++ & 4095]);
}
BENCHMARK(histogram_observe_ours)
    ->Name("histogram_observe/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void histogram_observe_prometheus_cpp(benchmark::State& state) {
  static auto& family =
      prometheus::BuildHistogram().Name("histogram_observe").Help("d").Register(their_registry());
  static auto& histogram =
      family.Add({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}, their_bounds());
  std::size_t index = 0;
  for (auto _ : state) histogram.Observe(values[index++ & 4095]);
}
BENCHMARK(histogram_observe_prometheus_cpp)
    ->Name("histogram_observe/prometheus_cpp")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// ---- labels_observe: lookup every op, 16 children -------------------------------------------

/// Sets allocs_per_op: heap allocations by all threads during the timed loop, per op. The count
/// is process-wide, so only thread 0 reports it (Google Benchmark sums counters over threads),
/// and it divides by the ops of all threads. Thread 0 reads `before` after the family's static
/// set-up and after the loop's closing barrier, so the window covers every thread's loop.
void report_allocations_per_op(benchmark::State& state, std::uint64_t before) {
  if (state.thread_index() != 0) return;
  const std::uint64_t allocated = bench::allocations() - before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocated) /
      static_cast<double>(state.iterations() * static_cast<std::uint64_t>(state.threads())));
}

void labels_observe_ours(benchmark::State& state) {
  static metrics::Histogram histogram = [] {
    metrics::Histogram created{{.name = "labels_observe",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = bentoml_bounds(),
                                .registry = &our_registry()}};
    for (int i = 0; i < 15; ++i) created.labels({"1." + std::to_string(i), "cuda:0"});
    created.labels({"2.1.0", "cuda:0"});
    return created;
  }();
  std::size_t index = 0;
  const std::uint64_t before = bench::allocations();
  for (auto _ : state) histogram.labels({"2.1.0", "cuda:0"}).observe(values[index++ & 4095]);
  report_allocations_per_op(state, before);
}
BENCHMARK(labels_observe_ours)->Name("labels_observe/ours")->Threads(1)->Threads(2)->UseRealTime();

void labels_observe_prometheus_cpp(benchmark::State& state) {
  static auto& family = []() -> prometheus::Family<prometheus::Histogram>& {
    auto& created =
        prometheus::BuildHistogram().Name("labels_observe").Help("d").Register(their_registry());
    for (int i = 0; i < 15; ++i) {
      created.Add({{"torch_version", "1." + std::to_string(i)}, {"device_id", "cuda:0"}},
                  their_bounds());
    }
    created.Add({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}, their_bounds());
    return created;
  }();
  static const auto bounds = their_bounds();
  std::size_t index = 0;
  const std::uint64_t before = bench::allocations();
  for (auto _ : state) {
    family.Add({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}, bounds)
        .Observe(values[index++ & 4095]);
  }
  report_allocations_per_op(state, before);
}
BENCHMARK(labels_observe_prometheus_cpp)
    ->Name("labels_observe/prometheus_cpp")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// ---- summary_observe ------------------------------------------------------------------------

void summary_observe_ours(benchmark::State& state) {
  static metrics::Summary summary{{.name = "summary_observe",
                                   .documentation = "d",
                                   .labelnames = {"route"},
                                   .registry = &our_registry()}};
  auto child = summary.labels({"/predict"});
  std::size_t index = 0;
  for (auto _ : state) child.observe(values[index++ & 4095]);
}
BENCHMARK(summary_observe_ours)
    ->Name("summary_observe/ours")
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void summary_observe_prometheus_cpp(benchmark::State& state) {
  // A summary with quantiles slows down as it fills: every run gets a fresh one and a fixed op
  // count (->Iterations below), so that runs and repetitions are comparable. Thread 0 creates it
  // before the loop's opening barrier and destroys it after the closing one.
  static std::unique_ptr<prometheus::Summary> summary;
  if (state.thread_index() == 0) {
    summary = std::make_unique<prometheus::Summary>(
        prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
  }
  std::size_t index = 0;
  for (auto _ : state) summary->Observe(values[index++ & 4095]);
  if (state.thread_index() == 0) summary.reset();
}
BENCHMARK(summary_observe_prometheus_cpp)
    ->Name("summary_observe/prometheus_cpp")
    ->Iterations(200000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

// ---- summary_quantiles_observe: the same three quantiles on both sides ------------------------

void summary_quantiles_observe_ours(benchmark::State& state) {
  // A fresh summary per run, as prometheus-cpp's below, so both start from an empty window.
  static std::unique_ptr<metrics::Registry> registry;
  static std::unique_ptr<metrics::Summary> summary;
  if (state.thread_index() == 0) {
    registry = std::make_unique<metrics::Registry>();
    summary = std::make_unique<metrics::Summary>(
        metrics::Summary::Options{.name = "summary_quantiles_observe",
                                  .documentation = "d",
                                  .labelnames = {"route"},
                                  .registry = registry.get(),
                                  .quantiles = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}});
  }
  // The other thread may look the child up only after the loop's opening barrier, once thread 0
  // has made the summary: on the first iteration.
  std::optional<metrics::Summary::Child> child;
  std::size_t index = 0;
  for (auto _ : state) {
    if (BENTOML_METRICS_UNLIKELY(!child)) child.emplace(summary->labels({"/predict"}));
    child->observe(values[index++ & 4095]);
  }
  if (state.thread_index() == 0) {
    summary.reset();
    registry.reset();
  }
}
BENCHMARK(summary_quantiles_observe_ours)
    ->Name("summary_quantiles_observe/ours")
    ->Iterations(200000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void summary_quantiles_observe_prometheus_cpp(benchmark::State& state) {
  static std::unique_ptr<prometheus::Summary> summary;
  if (state.thread_index() == 0) {
    summary = std::make_unique<prometheus::Summary>(
        prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}},
        std::chrono::minutes(10), 5);
  }
  std::size_t index = 0;
  for (auto _ : state) summary->Observe(values[index++ & 4095]);
  if (state.thread_index() == 0) summary.reset();
}
BENCHMARK(summary_quantiles_observe_prometheus_cpp)
    ->Name("summary_quantiles_observe/prometheus_cpp")
    ->Iterations(200000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
