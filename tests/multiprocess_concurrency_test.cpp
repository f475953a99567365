// Multiprocess mode under threads: recording through handles taken before the file grows while
// other threads append series (growing it many times) and a collector scrapes. Exact totals;
// also run under ThreadSanitizer and AddressSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "multiprocess_support.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;
using metrics::testing::MultiprocessScope;
using metrics::testing::parse_exposition;
using metrics::testing::TempDir;

namespace {

TEST(MultiprocessConcurrency, RecordingWhileTheFileGrowsAndScrapesRun) {
  TempDir dir;
  MultiprocessScope on(dir.path());
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "hits", .documentation = "d", .labelnames = {"id"}, .registry = &registry}};
  metrics::Gauge gauge{{.name = "level",
                        .documentation = "d",
                        .labelnames = {"id"},
                        .registry = &registry,
                        .multiprocess_mode = metrics::MultiprocessMode::sum}};
  metrics::Histogram histogram{{.name = "lat",
                                .documentation = "d",
                                .labelnames = {"id"},
                                .buckets = {0.5, 1.0},
                                .registry = &registry}};
  auto hot_counter = counter.labels({"hot"});
  auto hot_gauge = gauge.labels({"hot"});
  auto hot_histogram = histogram.labels({"hot"});
  metrics::Registry scraped;
  multiprocess::MultiProcessCollector collector(scraped, dir.path());

  // Recorders run until the creator has appended 4000 series (~700 KB: the file doubles four
  // times under them), then report how many operations they made.
  constexpr int kRecorders = 3;
  constexpr int kSeries = 4000;
  std::atomic<int> created{0};
  std::atomic<int> running{kRecorders};
  std::atomic<long> operations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kRecorders; ++t) {
    threads.emplace_back([&, t] {
      long done = 0;
      while (created.load() < kSeries || done < 1000) {
        hot_counter.inc();
        hot_gauge.inc(2);
        hot_gauge.dec();
        hot_histogram.observe(done % 2 == 0 ? 0.25 : 0.75);
        ++done;
      }
      if (done % 2 != 0) {  // an even count, so that half the observations are 0.25
        hot_counter.inc();
        hot_gauge.inc();
        hot_histogram.observe(0.75);
        ++done;
      }
      counter.labels({"made by " + std::to_string(t)}).inc();
      operations += done;
      --running;
    });
  }
  threads.emplace_back([&] {
    const std::string padding(150, 'g');
    while (created.load() < kSeries) {
      histogram.labels({padding + std::to_string(created.load())}).observe(2);
      created.fetch_add(1);
    }
  });
  std::atomic<int> inconsistent{0};
  threads.emplace_back([&] {
    while (running.load() > 0) {
      const auto parsed = parse_exposition(metrics::generate_latest(scraped));
      if (!parsed.error.empty()) ++inconsistent;
      const double count = parsed.value("lat_count", {{"id", "hot"}});
      if (count >= 0 && count != parsed.value("lat_bucket", {{"id", "hot"}, {"le", "+Inf"}})) {
        ++inconsistent;
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  const double total = static_cast<double>(operations.load());

  EXPECT_EQ(inconsistent.load(), 0);
  const auto parsed = parse_exposition(metrics::generate_latest(scraped));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("hits_total", {{"id", "hot"}}), total);
  EXPECT_EQ(parsed.value("level", {{"id", "hot"}}), total);
  EXPECT_EQ(parsed.value("lat_count", {{"id", "hot"}}), total);
  EXPECT_EQ(parsed.value("lat_bucket", {{"id", "hot"}, {"le", "0.5"}}), total / 2);
  EXPECT_EQ(parsed.value("lat_sum", {{"id", "hot"}}), total * 0.5);
  EXPECT_EQ(parsed.value("lat_count", {{"id", std::string(150, 'g') + "0"}}), 1.0);
  EXPECT_EQ(hot_counter.value(), total);
  for (int t = 0; t < kRecorders; ++t) {
    EXPECT_EQ(parsed.value("hits_total", {{"id", "made by " + std::to_string(t)}}), 1.0);
  }
}

}  // namespace
