// Scrape workloads of BENCH.md: serialize N counter series or N/25 histogram series to text,
// for this library (write_latest into a reused buffer) and prometheus-cpp (Collect() plus
// TextSerializer); and recording while another thread scrapes in a loop.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "bench_support.hpp"
#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

const std::vector<double>& values = bench::observed_values();

std::string series_name(std::int64_t index) { return "series_" + std::to_string(index); }

/// The registry `build(series)` makes, built once per size and kept for the whole run.
template <class RegistryType, class Build>
RegistryType& cached(std::int64_t series, Build build) {
  static std::map<std::int64_t, std::unique_ptr<RegistryType>> registries;
  auto& registry = registries[series];
  if (!registry) {
    registry = std::make_unique<RegistryType>();
    build(*registry, series);
  }
  return *registry;
}

metrics::Registry& our_counters(std::int64_t series) {
  return cached<metrics::Registry>(series, [](metrics::Registry& registry, std::int64_t count) {
    metrics::Counter counter{{.name = "requests",
                              .documentation = "Requests",
                              .labelnames = {"path", "code"},
                              .registry = &registry}};
    for (std::int64_t i = 0; i < count; ++i) counter.labels({series_name(i), "200"}).inc(i);
  });
}

prometheus::Registry& their_counters(std::int64_t series) {
  return cached<prometheus::Registry>(
      series, [](prometheus::Registry& registry, std::int64_t count) {
        auto& family =
            prometheus::BuildCounter().Name("requests_total").Help("Requests").Register(registry);
        for (std::int64_t i = 0; i < count; ++i) {
          family.Add({{"path", series_name(i)}, {"code", "200"}}).Increment(static_cast<double>(i));
        }
      });
}

std::vector<double> bentoml_bounds() { return metrics::exponential_buckets(0.001, 1.5, 10.0); }

metrics::Registry& our_histograms(std::int64_t series) {
  return cached<metrics::Registry>(series, [](metrics::Registry& registry, std::int64_t count) {
    metrics::Histogram histogram{{.name = "latency",
                                  .documentation = "Latency",
                                  .labelnames = {"path"},
                                  .buckets = bentoml_bounds(),
                                  .registry = &registry}};
    for (std::int64_t i = 0; i < count; ++i) {
      histogram.labels({series_name(i)}).observe(values[static_cast<std::size_t>(i) & 4095]);
    }
  });
}

prometheus::Registry& their_histograms(std::int64_t series) {
  return cached<prometheus::Registry>(series, [](prometheus::Registry& registry,
                                                 std::int64_t count) {
    auto& family = prometheus::BuildHistogram().Name("latency").Help("Latency").Register(registry);
    auto bounds = bentoml_bounds();
    bounds.pop_back();  // prometheus-cpp adds +Inf itself
    for (std::int64_t i = 0; i < count; ++i) {
      family.Add({{"path", series_name(i)}}, bounds)
          .Observe(values[static_cast<std::size_t>(i) & 4095]);
    }
  });
}

/// Summaries with the quantiles {0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001} over 10 minutes in 5
/// age buckets, 100 observations each (one series every `count`).
constexpr int kSummaryObservations = 100;

metrics::Registry& our_summaries(std::int64_t series) {
  return cached<metrics::Registry>(series, [](metrics::Registry& registry, std::int64_t count) {
    metrics::Summary summary{{.name = "latency",
                              .documentation = "Latency",
                              .labelnames = {"path"},
                              .registry = &registry,
                              .quantiles = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}}};
    for (std::int64_t i = 0; i < count; ++i) {
      auto child = summary.labels({series_name(i)});
      for (int j = 0; j < kSummaryObservations; ++j) {
        child.observe(values[static_cast<std::size_t>(i * kSummaryObservations + j) & 4095]);
      }
    }
  });
}

prometheus::Registry& their_summaries(std::int64_t series) {
  return cached<prometheus::Registry>(series, [](prometheus::Registry& registry,
                                                 std::int64_t count) {
    auto& family = prometheus::BuildSummary().Name("latency").Help("Latency").Register(registry);
    for (std::int64_t i = 0; i < count; ++i) {
      auto& summary =
          family.Add({{"path", series_name(i)}},
                     prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}},
                     std::chrono::minutes(10), 5);
      for (int j = 0; j < kSummaryObservations; ++j) {
        summary.Observe(values[static_cast<std::size_t>(i * kSummaryObservations + j) & 4095]);
      }
    }
  });
}

/// Serializes `registry` with this library, into a buffer reused across iterations. One untimed
/// scrape first (for both libraries), so that a run of a single iteration (100,000 series) does
/// not time the page faults of a cold heap.
void scrape_ours(benchmark::State& state, const metrics::Registry& registry) {
  std::string out;
  metrics::write_latest(out, registry, metrics::Format::text_0_0_4);
  for (auto _ : state) {
    out.clear();
    metrics::write_latest(out, registry, metrics::Format::text_0_0_4);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}

/// Serializes `registry` the way prometheus-cpp's Exposer does: Collect() then TextSerializer.
void scrape_prometheus_cpp(benchmark::State& state, prometheus::Registry& registry) {
  std::string out = prometheus::TextSerializer().Serialize(registry.Collect());
  for (auto _ : state) {
    out = prometheus::TextSerializer().Serialize(registry.Collect());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}

void scrape_counters_ours(benchmark::State& state) {
  scrape_ours(state, our_counters(state.range(0)));
}
void scrape_counters_prometheus_cpp(benchmark::State& state) {
  scrape_prometheus_cpp(state, their_counters(state.range(0)));
}
/// The same without prometheus_client's `_created` series (PROMETHEUS_DISABLE_CREATED_SERIES),
/// which prometheus-cpp does not write: the same samples on both sides.
void scrape_counters_no_created_ours(benchmark::State& state) {
  setenv("PROMETHEUS_DISABLE_CREATED_SERIES", "true", 1);
  scrape_ours(state, our_counters(state.range(0)));
  unsetenv("PROMETHEUS_DISABLE_CREATED_SERIES");
}
void scrape_histograms_ours(benchmark::State& state) {
  scrape_ours(state, our_histograms(state.range(0) / 25));
}
void scrape_histograms_prometheus_cpp(benchmark::State& state) {
  scrape_prometheus_cpp(state, their_histograms(state.range(0) / 25));
}
/// Without `_created` (prometheus-cpp writes none): the same samples on both sides.
void scrape_summaries_ours(benchmark::State& state) {
  metrics::disable_created_metrics();
  scrape_ours(state, our_summaries(state.range(0)));
  metrics::enable_created_metrics();
}
void scrape_summaries_prometheus_cpp(benchmark::State& state) {
  scrape_prometheus_cpp(state, their_summaries(state.range(0)));
}
#define BENTOML_SCRAPE_BENCHMARK(function, name)                                            \
  BENCHMARK(function)->Name(name)->Arg(1000)->Arg(10000)->Arg(100000)->UseRealTime()->Unit( \
      benchmark::kMillisecond)
BENTOML_SCRAPE_BENCHMARK(scrape_counters_ours, "scrape_counters/ours");
BENTOML_SCRAPE_BENCHMARK(scrape_counters_prometheus_cpp, "scrape_counters/prometheus_cpp");
BENTOML_SCRAPE_BENCHMARK(scrape_counters_no_created_ours, "scrape_counters_no_created/ours");
BENTOML_SCRAPE_BENCHMARK(scrape_histograms_ours, "scrape_histograms/ours");
BENTOML_SCRAPE_BENCHMARK(scrape_histograms_prometheus_cpp, "scrape_histograms/prometheus_cpp");
BENCHMARK(scrape_summaries_ours)
    ->Name("scrape_summaries/ours")
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scrape_summaries_prometheus_cpp)
    ->Name("scrape_summaries/prometheus_cpp")
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// generate_latest(): a fresh string per scrape (what Python-style callers do), against the
/// floor for a fresh string of that size on this machine: one allocation of the final size and
/// every byte written once (memset).
void generate_latest_counters_ours(benchmark::State& state) {
  const metrics::Registry& registry = our_counters(state.range(0));
  std::size_t bytes = metrics::generate_latest(registry).size();
  for (auto _ : state) {
    std::string out = metrics::generate_latest(registry);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
void fresh_string_floor(benchmark::State& state) {
  const std::size_t bytes = metrics::generate_latest(our_counters(state.range(0))).size();
  for (auto _ : state) {
    std::string out;
    out.reserve(bytes);
    out.resize(bytes);  // writes every byte: the page faults of the fresh allocation
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENTOML_SCRAPE_BENCHMARK(generate_latest_counters_ours, "generate_latest_counters/ours");
BENTOML_SCRAPE_BENCHMARK(fresh_string_floor, "generate_latest_counters/floor");

// ---- scrape_while_recording: ns per histogram observation while another thread scrapes -------

template <class Scrape, class Record>
void recording_while_scraping(benchmark::State& state, Scrape scrape, Record record) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<std::uint64_t> scrape_nanoseconds{0};
  std::thread scraper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const auto start = std::chrono::steady_clock::now();
      scrape();
      scrape_nanoseconds +=
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
      ++scrapes;
    }
  });
  std::size_t index = 0;
  for (auto _ : state) record(values[index++ & 4095]);
  stop = true;
  scraper.join();
  state.counters["scrape_ms"] =
      scrapes == 0 ? 0
                   : static_cast<double>(scrape_nanoseconds) / 1e6 / static_cast<double>(scrapes);
}

void scrape_while_recording_ours(benchmark::State& state) {
  metrics::Registry& registry = our_counters(10000);
  static metrics::Histogram histogram{{.name = "recorded",
                                       .documentation = "d",
                                       .buckets = bentoml_bounds(),
                                       .registry = &registry}};
  std::string out;
  recording_while_scraping(
      state,
      [&] {
        out.clear();
        metrics::write_latest(out, registry, metrics::Format::text_0_0_4);
      },
      [](double value) { histogram.observe(value); });
}
BENCHMARK(scrape_while_recording_ours)->Name("scrape_while_recording/ours")->UseRealTime();

void scrape_while_recording_prometheus_cpp(benchmark::State& state) {
  prometheus::Registry& registry = their_counters(10000);
  static auto& family = prometheus::BuildHistogram().Name("recorded").Help("d").Register(registry);
  static auto& histogram = []() -> prometheus::Histogram& {
    auto bounds = metrics::exponential_buckets(0.001, 1.5, 10.0);
    bounds.pop_back();
    return family.Add({}, bounds);
  }();
  recording_while_scraping(
      state,
      [&] { benchmark::DoNotOptimize(prometheus::TextSerializer().Serialize(registry.Collect())); },
      [](double value) { histogram.Observe(value); });
}
BENCHMARK(scrape_while_recording_prometheus_cpp)
    ->Name("scrape_while_recording/prometheus_cpp")
    ->UseRealTime();

}  // namespace
