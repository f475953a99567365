// Several threads record into the same series while others scrape in a loop: totals must be
// exact, every scrape must parse, and every histogram in it must be consistent. CI runs these
// under ThreadSanitizer (and AddressSanitizer). See concurrency_children_test.cpp for labels(),
// remove(), clear(), registration and thread churn.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "concurrency_support.hpp"

namespace metrics = bentoml::metrics;
namespace testing_ = bentoml::metrics::testing;
using testing_::kIterations;
using testing_::kThreads;
using testing_::Problems;
using testing_::Scraper;

TEST(Concurrency, SharedCounterChildIsExactAndNeverGoesBackwards) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  metrics::Counter plain{{.name = "p", .documentation = "d", .registry = &registry}};
  Problems problems;
  std::map<std::string, double> last;  // only the scraper thread touches it
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [&last](const testing_::Exposition& parsed, Problems& found) {
                    for (const auto& sample : parsed.samples) {
                      const std::string key = sample.name + testing_::series_key(sample.labels);
                      if (sample.name.find("_created") != std::string::npos) continue;
                      if (sample.value < last[key]) found.add(key + " went backwards");
                      last[key] = sample.value;
                    }
                  });
  std::vector<long> rounds(kThreads);
  testing_::run_threads(kThreads, [&](int index) {
    auto child = counter.labels({"shared"});
    const int since = scraper.scrapes();
    long i = 0;
    for (; i < kIterations || (scraper.wants_more(since) && i < 50L * kIterations); ++i) {
      child.inc();
      plain.inc();
      if (i % 4 == 0) child.inc(0.5);
      if (i % 8 == 0) child.inc(3);
      if (i % 16 == 0) counter.labels({{"l", "shared"}}).inc(0.25);
    }
    rounds[index] = i;
  });
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_GE(scraper.scrapes(), testing_::kMinScrapes);
  double expected = 0;
  long whole = 0;
  for (long n : rounds) {
    expected += static_cast<double>(n) + 0.5 * static_cast<double>((n + 3) / 4) +
                3.0 * static_cast<double>((n + 7) / 8) + 0.25 * static_cast<double>((n + 15) / 16);
    whole += n;
  }
  EXPECT_EQ(counter.labels({"shared"}).value(), expected);
  EXPECT_EQ(plain.value(), static_cast<double>(whole));
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.value("c_total", {{"l", "shared"}}), expected);
  EXPECT_EQ(parsed.value("p_total"), static_cast<double>(whole));
}

TEST(Concurrency, GaugeIncDecBalanceAndSetsNeverTear) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  metrics::Gauge set{{.name = "s", .documentation = "d", .registry = &registry}};
  Problems problems;
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [](const testing_::Exposition& parsed, Problems& found) {
                    const double value = parsed.value("s");
                    if (value != 0 && value != 1.5 && value != -2.25 && value != 1e300) {
                      found.add("torn gauge value " + std::to_string(value));
                    }
                  });
  testing_::run_threads(kThreads, [&](int index) {
    for (int i = 0; i < kIterations; ++i) {
      auto scope = gauge.track_inprogress();
      gauge.inc(2);
      gauge.dec(2);
      static constexpr double kValues[] = {1.5, -2.25, 1e300, 1.5};
      set.set(kValues[(i + index) % 4]);
    }
  });
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_EQ(gauge.value(), 0);
}

TEST(Concurrency, ScrapesOfHistogramsBeingRecordedAreConsistentAndTotalsExact) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"l"},
                                .buckets = {0.25, 0.5, 1},
                                .registry = &registry}};
  metrics::Histogram wide{{.name = "w",
                           .documentation = "d",
                           .buckets = metrics::linear_buckets(1, 1, 30),  // binary search
                           .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  // Each bucket receives a single value, all exact in binary: sums must match the buckets.
  static const std::vector<double> kValues = {0.25, 0.5, 1.0, 2.0};
  const auto check = [](const testing_::Exposition& parsed, Problems& found) {
    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
      testing_::check_histogram("h{" + key + "}", series, 4, kValues, found);
    }
    for (const auto& [key, series] : testing_::histogram_series(parsed, "w")) {
      testing_::check_histogram("w", series, 31, {}, found);
    }
    const double count = parsed.value("s_count");
    if (parsed.value("s_sum") != 3 * count) found.add("summary _sum does not cover _count");
  };
  Problems problems;
  // Two scrapers, in both formats: scrapes of one family take turns.
  Scraper text_scraper(registry, metrics::Format::text_0_0_4, problems, check);
  Scraper om_scraper(registry, metrics::Format::openmetrics_1_0_0, problems, check);
  std::vector<long> rounds(kThreads);
  testing_::run_threads(kThreads, [&](int index) {
    auto shared = histogram.labels({"shared"});
    auto own = histogram.labels({std::to_string(index)});
    const int since = text_scraper.scrapes();
    long i = 0;
    for (; i < kIterations || (text_scraper.wants_more(since) && i < 50L * kIterations); ++i) {
      shared.observe(kValues[i % 4]);
      own.observe(kValues[(i / 4) % 4]);
      wide.observe(static_cast<double>(i % 32));
      summary.observe(3);
    }
    rounds[index] = i;
  });
  text_scraper.stop();
  om_scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_GE(text_scraper.scrapes(), testing_::kMinScrapes);
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  const auto series = testing_::histogram_series(parsed, "h");
  long total = 0;
  double shared_sum = 0;
  for (int index = 0; index < kThreads; ++index) {
    const long n = rounds[index];
    total += n;
    for (long k = 0; k < 4; ++k) shared_sum += kValues[k] * static_cast<double>((n + 3 - k) / 4);
    const auto& own = series.at("l=" + std::to_string(index) + ",");
    EXPECT_EQ(own.count, static_cast<double>(n)) << index;
  }
  const auto& shared = series.at("l=shared,");
  EXPECT_EQ(shared.count, static_cast<double>(total));
  EXPECT_EQ(shared.sum, shared_sum);
  double first_bucket = 0;
  for (long n : rounds) first_bucket += static_cast<double>((n + 3) / 4);
  EXPECT_EQ(shared.cumulative[0], first_bucket);
  EXPECT_EQ(parsed.value("w_count"), static_cast<double>(total));
  EXPECT_EQ(parsed.value("s_count"), static_cast<double>(total));
  EXPECT_EQ(parsed.value("s_sum"), 3.0 * static_cast<double>(total));
}

TEST(Concurrency, ExemplarsWrittenConcurrentlyAreNeverTorn) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1, 2, 4, 8}, .registry = &registry}};
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  // Exemplar k carries value k and labels naming k, with names and values of different lengths.
  const auto labels_of = [](int k) {
    return std::pair<std::string, std::string>("id" + std::string(static_cast<std::size_t>(k), 'x'),
                                               std::to_string(k) + std::string(20 * k, 'v'));
  };
  Problems problems;
  Scraper scraper(registry, metrics::Format::openmetrics_1_0_0, problems,
                  [&labels_of](const testing_::Exposition& parsed, Problems& found) {
                    for (const auto& sample : parsed.samples) {
                      if (!sample.has_exemplar) continue;
                      const int k = static_cast<int>(sample.exemplar_value);
                      const auto [name, value] = labels_of(k);
                      if (sample.exemplar_labels != testing_::Labels{{name, value}}) {
                        found.add("torn exemplar on " + sample.name);
                      }
                    }
                    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
                      testing_::check_histogram("h", series, 5, {}, found);
                    }
                  });
  testing_::run_threads(kThreads, [&](int index) {
    for (int i = 0; i < kIterations / 4; ++i) {
      const int k = 1 + (i + index) % 5;
      const auto [name, value] = labels_of(k);
      histogram.observe(k, {{name, value}});
      counter.inc(k, {{name, value}});
    }
  });
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  const auto parsed = testing_::parse_exposition(
      metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
      metrics::Format::openmetrics_1_0_0);
  EXPECT_EQ(parsed.value("h_count"), kThreads * (kIterations / 4));
  EXPECT_EQ(parsed.value("c_total"), kThreads * (kIterations / 4) * 3);  // k averages 3
}
