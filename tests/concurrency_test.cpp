// Several threads record into the same series while others look up, create, remove and scrape.
// Totals must be exact and every scrape consistent. CI runs these under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

constexpr int kThreads = 4;
#if defined(__SANITIZE_THREAD__)
constexpr int kIterations = 20000;
#else
constexpr int kIterations = 200000;
#endif

/// Runs `body(thread_index)` on `count` threads at once.
template <class Body>
void run_threads(int count, Body body) {
  std::vector<std::thread> threads;
  for (int index = 0; index < count; ++index) threads.emplace_back(body, index);
  for (auto& thread : threads) thread.join();
}

struct HistogramSeries {
  std::vector<double> cumulative;  // bucket values in exposition order, +Inf last
  double count = -1;
  double sum = -1;
};

/// Parses histogram `name`'s samples per child label text (without `le`) out of text format.
std::map<std::string, HistogramSeries> parse_histograms(const std::string& text,
                                                        const std::string& name) {
  std::map<std::string, HistogramSeries> series;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    const double value = std::strtod(line.c_str() + space + 1, nullptr);
    const std::string key = line.substr(0, space);
    const auto strip_le = [](std::string labels) {  // {a="x",le="1.0"} -> {a="x"}
      std::size_t begin = labels.find("le=\"");
      std::size_t end = labels.find('"', begin + 4) + 1;
      if (labels[begin - 1] == ',') {
        --begin;
      } else if (labels[end] == ',') {
        ++end;
      }
      labels.erase(begin, end - begin);
      return labels == "{}" ? std::string() : labels;
    };
    if (key.rfind(name + "_bucket", 0) == 0) {
      series[strip_le(key.substr(name.size() + 7))].cumulative.push_back(value);
    } else if (key.rfind(name + "_count", 0) == 0) {
      series[key.substr(name.size() + 6)].count = value;
    } else if (key.rfind(name + "_sum", 0) == 0) {
      series[key.substr(name.size() + 4)].sum = value;
    }
  }
  return series;
}

}  // namespace

TEST(Concurrency, SharedCounterChildIsExact) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  run_threads(kThreads, [&](int) {
    auto child = counter.labels({"shared"});
    for (int i = 0; i < kIterations; ++i) {
      child.inc();
      if (i % 4 == 0) child.inc(0.5);
      if (i % 8 == 0) child.inc(3);
    }
  });
  const double expected =
      kThreads * (kIterations + 0.5 * (kIterations / 4) + 3.0 * (kIterations / 8));
  EXPECT_EQ(counter.labels({"shared"}).value(), expected);
}

TEST(Concurrency, GaugeIncDecBalance) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kIterations; ++i) {
      auto scope = gauge.track_inprogress();
      gauge.inc(2);
      gauge.dec(2);
    }
  });
  EXPECT_EQ(gauge.value(), 0);
}

TEST(Concurrency, ScrapesOfAHistogramBeingRecordedAreConsistentAndTotalsExact) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"l"},
                                .buckets = {0.25, 0.5, 1},
                                .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  std::atomic<int> writers_done{0};
  std::atomic<int> scrapes{0};
  std::atomic<int> inconsistent{0};
  std::thread scraper([&] {
    while (writers_done.load() < kThreads || scrapes.load() < 3) {
      const std::string text = metrics::generate_latest(registry);
      for (const auto& [labels, series] : parse_histograms(text, "h")) {
        double previous = 0;
        for (double bucket : series.cumulative) {
          if (bucket < previous) ++inconsistent;
          previous = bucket;
        }
        if (series.cumulative.size() != 4 || series.cumulative.back() != series.count) {
          ++inconsistent;
        }
        // Values are multiples of 0.25: the sum is exact, so it must match the buckets.
        const double in_first = series.cumulative[0];
        const double in_second = series.cumulative[1] - series.cumulative[0];
        const double in_third = series.cumulative[2] - series.cumulative[1];
        const double in_inf = series.cumulative[3] - series.cumulative[2];
        if (series.sum != 0.25 * in_first + 0.5 * in_second + 1.0 * in_third + 2.0 * in_inf) {
          ++inconsistent;
        }
      }
      ++scrapes;
    }
  });
  run_threads(kThreads, [&](int index) {
    auto shared = histogram.labels({"shared"});
    auto own = histogram.labels({std::to_string(index)});
    static constexpr double kValues[] = {0.25, 0.5, 1.0, 2.0};
    for (int i = 0; i < kIterations; ++i) {
      shared.observe(kValues[i % 4]);
      own.observe(kValues[(i / 4) % 4]);
      summary.observe(1);
    }
    ++writers_done;
  });
  scraper.join();
  EXPECT_GE(scrapes.load(), 3);
  EXPECT_EQ(inconsistent.load(), 0);
  const auto final_series = parse_histograms(metrics::generate_latest(registry), "h");
  const HistogramSeries& shared = final_series.at("{l=\"shared\"}");
  EXPECT_EQ(shared.count, kThreads * kIterations);
  EXPECT_EQ(shared.cumulative[0], kThreads * kIterations / 4);
  EXPECT_EQ(shared.sum, kThreads * (kIterations / 4) * (0.25 + 0.5 + 1 + 2));
  for (int index = 0; index < kThreads; ++index) {
    EXPECT_EQ(final_series.at("{l=\"" + std::to_string(index) + "\"}").count, kIterations);
  }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_NE(text.find("s_count " + std::to_string(kThreads * kIterations) + ".0"),
            std::string::npos);
}

TEST(Concurrency, LabelsCreatesAndFindsChildrenFromManyThreads) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"id", "kind"}, .registry = &registry}};
  constexpr int kChildren = 2000;
  run_threads(kThreads, [&](int index) {
    for (int round = 0; round < 3; ++round) {
      for (int child = 0; child < kChildren; ++child) {
        // Every thread touches every child, in different orders, while the table grows.
        const int id = (child + index * 577) % kChildren;
        counter.labels({std::to_string(id), id % 2 == 0 ? "even" : "odd"}).inc();
      }
    }
  });
  for (int id = 0; id < kChildren; ++id) {
    ASSERT_EQ(counter.labels({std::to_string(id), id % 2 == 0 ? "even" : "odd"}).value(),
              kThreads * 3)
        << id;
  }
}

TEST(Concurrency, RemoveAndClearRaceWithRecordingAndScrapingWithoutLosingKeptChildren) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"id"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"id"},
                                .buckets = {1},
                                .registry = &registry}};
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    int round = 0;
    while (!stop.load()) {
      counter.labels({"churn" + std::to_string(round % 50)}).inc();
      histogram.labels({"churn" + std::to_string(round % 50)}).observe(0.5);
      if (round % 7 == 0) counter.remove({"churn" + std::to_string(round % 50)});
      if (round % 13 == 0) histogram.remove({"churn" + std::to_string((round + 3) % 50)});
      if (round % 101 == 0) counter.clear();
      (void)metrics::generate_latest(registry);
      ++round;
    }
  });
  run_threads(kThreads, [&](int) {
    auto kept = counter.labels({"kept"});
    auto kept_histogram = histogram.labels({"kept"});
    for (int i = 0; i < kIterations; ++i) {
      kept.inc();
      kept_histogram.observe(2);
    }
  });
  stop = true;
  churn.join();
  // clear() hid "kept" too, but its handle kept counting and labels() brings it back.
  EXPECT_EQ(counter.labels({"kept"}).value(), kThreads * kIterations);
  const auto series = parse_histograms(metrics::generate_latest(registry), "h");
  EXPECT_EQ(series.at("{id=\"kept\"}").count, kThreads * kIterations);
}

TEST(Concurrency, ThreadsThatExitHandTheirSlotsOverWithoutLosingCounts) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  constexpr int kGenerations = 20;
  for (int generation = 0; generation < kGenerations; ++generation) {
    run_threads(2, [&](int) {
      for (int i = 0; i < 1000; ++i) {
        counter.inc();
        histogram.observe(0.5);
      }
    });
  }
  EXPECT_EQ(counter.value(), kGenerations * 2 * 1000);
  const auto series = parse_histograms(metrics::generate_latest(registry), "h");
  EXPECT_EQ(series.at("").count, kGenerations * 2 * 1000);
}

TEST(Concurrency, MoreThreadsThanSlotsStayExact) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  constexpr int kMany = 80;  // more than the 64 slots any machine gets
  std::atomic<int> started{0};
  run_threads(kMany, [&](int) {
    ++started;
    while (started.load() < kMany) std::this_thread::yield();  // all alive at once
    for (int i = 0; i < 500; ++i) {
      counter.inc();
      histogram.observe(2);
    }
  });
  EXPECT_EQ(counter.value(), kMany * 500);
  const auto series = parse_histograms(metrics::generate_latest(registry), "h");
  EXPECT_EQ(series.at("").count, kMany * 500);
  EXPECT_EQ(series.at("").cumulative.back(), kMany * 500);
}
