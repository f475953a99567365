// Summary quantiles under concurrency: threads observe (through their rings and the full-ring
// flush) while a scraper drains the rings; nothing is lost and the bounds hold at the end.
// Run under ThreadSanitizer in CI (label `concurrency`).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::parse_exposition;

TEST(SummaryQuantilesConcurrency, ObserversAndScraperLoseNothing) {
  metrics::Registry registry;
  metrics::Summary summary{{.name = "work_seconds",
                            .documentation = "d",
                            .labelnames = {"worker"},
                            .registry = &registry,
                            .quantiles = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}}};
  metrics::Summary shared{{.name = "shared_seconds",
                           .documentation = "d",
                           .registry = &registry,
                           .quantiles = {{0.5, 0.05}, {0.99, 0.001}}}};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::thread scraper([&] {
    while (!done.load()) {
      const auto parsed = parse_exposition(metrics::generate_latest(registry));
      EXPECT_EQ(parsed.error, "");
      scrapes.fetch_add(1);
    }
  });
  std::vector<std::thread> observers;
  for (int t = 0; t < kThreads; ++t) {
    observers.emplace_back([&, t] {
      auto child = summary.labels({std::to_string(t % 2)});
      for (int i = 0; i < kPerThread; ++i) {
        const double value = (i * 7919) % kPerThread;  // a permutation of 0 .. kPerThread - 1
        child.observe(value);
        shared.observe(value);
      }
    });
  }
  for (std::thread& observer : observers) observer.join();
  done.store(true);
  scraper.join();
  EXPECT_GT(scrapes.load(), 0);
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("shared_seconds_count"), kThreads * kPerThread);
  EXPECT_EQ(parsed.value("work_seconds_count", {{"worker", "0"}}), 2 * kPerThread);
  // Every thread observed each of 0 .. kPerThread - 1 once: the exact q-quantile is about
  // q * kPerThread, and the window (10 minutes) holds everything.
  const double n = kThreads * kPerThread;
  for (const auto& [q, e] : {std::pair{0.5, 0.05}, std::pair{0.99, 0.001}}) {
    const auto found = parsed.find("shared_seconds", {{"quantile", q == 0.5 ? "0.5" : "0.99"}});
    ASSERT_EQ(found.size(), 1u);
    const double value = found.front()->value;
    // Rank r of the sorted data (each value kThreads times) holds value floor((r - 1) / kThreads).
    const double low = std::floor((std::max(1.0, std::floor((q - e) * n)) - 1) / kThreads);
    const double high = std::floor((std::min(n, std::ceil((q + e) * n)) - 1) / kThreads);
    EXPECT_GE(value, low) << q;
    EXPECT_LE(value, high) << q;
  }
}
