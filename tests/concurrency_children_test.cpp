// Concurrent labels() creating and finding children, remove()/clear() and registration racing
// with recording and scraping, threads that exit and hand their slots over, more threads than
// slots. No crash, no lost increment on children that were not removed, ThreadSanitizer clean.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
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

TEST(ConcurrentChildren, LabelsCreatesAndFindsChildrenFromManyThreads) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"id", "kind"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"id"},
                                .buckets = {1},
                                .registry = &registry}};
  constexpr int kChildren = 2000;
  constexpr int kRounds = 3;
  Problems problems;
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [](const testing_::Exposition& parsed, Problems& found) {
                    std::set<std::string> seen;
                    for (const auto& sample : parsed.samples) {
                      if (sample.name != "c_total") continue;
                      if (!seen.insert(testing_::series_key(sample.labels)).second) {
                        found.add("child exposed twice");
                      }
                    }
                    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
                      testing_::check_histogram("h", series, 2, {}, found);
                    }
                  });
  testing_::run_threads(kThreads, [&](int index) {
    for (int round = 0; round < kRounds; ++round) {
      for (int child = 0; child < kChildren; ++child) {
        // Every thread touches every child, in different orders and both forms, while the
        // index grows.
        const int id = (child * (index + 1) + index * 577) % kChildren;
        const std::string value = std::to_string(id);
        const char* kind = id % 2 == 0 ? "even" : "odd";
        if ((child + index) % 2 == 0) {
          counter.labels({value, kind}).inc();
        } else {
          counter.labels({{"kind", kind}, {"id", value}}).inc();
        }
        histogram.labels({value}).observe(0.5);
      }
    }
  });
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  // kChildren * (index + 1) steps visit every id when index + 1 is coprime to 2000; threads 1
  // and 3 (steps 2 and 4) visit some ids several times: count what each thread did.
  std::vector<int> expected(kChildren, 0);
  for (int index = 0; index < kThreads; ++index) {
    for (int child = 0; child < kChildren; ++child) {
      expected[(child * (index + 1) + index * 577) % kChildren] += kRounds;
    }
  }
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  int exposed = 0;
  for (const auto& sample : parsed.samples) exposed += sample.name == "c_total";
  int created = 0;
  for (int id = 0; id < kChildren; ++id) created += expected[id] > 0;
  EXPECT_EQ(exposed, created);
  for (int id = 0; id < kChildren; ++id) {
    const std::string value = std::to_string(id);
    const char* kind = id % 2 == 0 ? "even" : "odd";
    if (expected[id] == 0) continue;
    ASSERT_EQ(counter.labels({value, kind}).value(), expected[id]) << id;
    ASSERT_EQ(parsed.value("c_total", {{"id", value}, {"kind", kind}}), expected[id]) << id;
    ASSERT_EQ(parsed.value("h_count", {{"id", value}}), expected[id]) << id;
  }
}

TEST(ConcurrentChildren, RemoveAndClearRaceWithRecordingAndScraping) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"id"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"id"},
                                .buckets = {1},
                                .registry = &registry}};
  metrics::Gauge cleared{
      {.name = "g", .documentation = "d", .labelnames = {"id"}, .registry = &registry}};
  Problems problems;
  // The kept children are never removed: every scrape must show them, never going backwards.
  std::map<std::string, double> last;
  Scraper scraper(registry, metrics::Format::openmetrics_1_0_0, problems,
                  [&last](const testing_::Exposition& parsed, Problems& found) {
                    for (int index = 0; index < kThreads; ++index) {
                      const std::string id = "kept" + std::to_string(index);
                      const auto total = parsed.find("c_total", {{"id", id}});
                      if (total.size() != 1) {
                        if (last.count(id) != 0) found.add(id + " missing from a scrape");
                        continue;
                      }
                      if (total[0]->value < last[id]) found.add(id + " went backwards");
                      last[id] = total[0]->value;
                    }
                    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
                      testing_::check_histogram("h", series, 2, {0.5, 2.0}, found);
                    }
                  });
  std::atomic<bool> stop{false};
  std::atomic<long> churned{0};
  std::thread churn([&] {
    auto revived = counter.labels({"revived"});
    int round = 0;
    while (!stop.load()) {
      const std::string id = "churn" + std::to_string(round % 50);
      counter.labels({id}).inc();
      histogram.labels({id}).observe(0.5);
      cleared.labels({id}).set(round);
      revived.inc();  // through a handle held across remove() and revival
      churned.fetch_add(1);
      if (round % 7 == 0) counter.remove({id});
      if (round % 13 == 0) histogram.remove({{"id", "churn" + std::to_string((round + 3) % 50)}});
      if (round % 5 == 0) counter.remove({"revived"});
      if (round % 11 == 0) counter.labels({"revived"});
      if (round % 101 == 0) cleared.clear();
      ++round;
    }
  });
  std::vector<long> rounds(kThreads);
  testing_::run_threads(kThreads, [&](int index) {
    auto kept = counter.labels({"kept" + std::to_string(index)});
    auto shared = counter.labels({"kept-shared"});
    auto kept_histogram = histogram.labels({"kept"});
    const int since = scraper.scrapes();
    long i = 0;
    for (; i < kIterations / 4 || (scraper.wants_more(since) && i < 50L * kIterations); ++i) {
      kept.inc();
      shared.inc();
      kept_histogram.observe(i % 2 == 0 ? 0.5 : 2.0);
      // Look the churned children up too: lookups meet removals and revivals.
      if (i % 64 == 0) counter.labels({"churn" + std::to_string(i % 50)}).inc(0);
    }
    rounds[index] = i;
  });
  stop = true;
  churn.join();
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  long total = 0;
  long even = 0;
  for (int index = 0; index < kThreads; ++index) {
    total += rounds[index];
    even += (rounds[index] + 1) / 2;
    EXPECT_EQ(counter.labels({"kept" + std::to_string(index)}).value(), rounds[index]);
  }
  EXPECT_EQ(counter.labels({"kept-shared"}).value(), total);
  (void)counter.labels({"revived"});  // brings it back if the churn left it removed
  EXPECT_EQ(counter.labels({"revived"}).value(), churned.load());
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("h_count", {{"id", "kept"}}), total);
  EXPECT_EQ(parsed.value("h_bucket", {{"id", "kept"}, {"le", "1.0"}}), even);
  EXPECT_EQ(parsed.value("c_total", {{"id", "revived"}}), churned.load());
}

// A metric replaced by unregister() and a new registration of its name while scrapes run: a
// scrape shows the name once (the old metric or the new one), never both, which would be a
// duplicate family that Prometheus rejects.
TEST(ConcurrentChildren, ReplacingAMetricRacesWithScrapes) {
  metrics::Registry registry;
  metrics::Counter stable{{.name = "stable", .documentation = "d", .registry = &registry}};
  for (int i = 0; i < 20; ++i) {  // families for the scrape to walk past
    metrics::Gauge filler{{.name = "filler" + std::to_string(i), .registry = &registry}};
  }
  metrics::Histogram replaced{
      {.name = "replaced", .documentation = "d", .buckets = {1}, .registry = &registry}};
  Problems problems;
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [](const testing_::Exposition& parsed, Problems& found) {
                    // Between unregister() and the new registration the name may be absent.
                    if (parsed.find("stable_total").size() != 1) found.add("stable missing");
                  });
  std::thread registrar([&] {
    const int since = scraper.scrapes();
    for (int round = 0; round < kIterations / 200 || scraper.wants_more(since, 200); ++round) {
      if (!registry.unregister("replaced")) problems.add("could not unregister");
      metrics::Histogram histogram{
          {.name = "replaced", .documentation = "d", .buckets = {1}, .registry = &registry}};
      histogram.observe(0.5);
    }
  });
  testing_::run_threads(2, [&](int) {
    for (int i = 0; i < kIterations; ++i) stable.inc();
  });
  registrar.join();
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_EQ(stable.value(), 2.0 * kIterations);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(testing_::lines_starting_with(text, "# TYPE replaced "), 1) << text;
}

// The same race made deterministic: a gauge function, called by the scrape after it wrote the
// old metric, holds the scrape until another thread has replaced the metric. The new metric sits
// after the gauge in the registry, so the scrape reaches it too.
TEST(ConcurrentChildren, ScrapeDuringReplacementShowsTheNameOnce) {
  metrics::Registry registry;
  metrics::Counter replaced{{.name = "replaced", .documentation = "old", .registry = &registry}};
  std::atomic<int> step{0};  // 1: the scrape is inside the gauge; 2: the metric was replaced
  metrics::Gauge hook{{.name = "hook", .documentation = "d", .registry = &registry}};
  hook.set_function([&step] {
    int expected = 0;
    if (step.compare_exchange_strong(expected, 1)) {
      while (step.load() != 2) std::this_thread::yield();
    }
    return 1.0;
  });
  std::thread registrar([&] {
    while (step.load() != 1) std::this_thread::yield();
    registry.unregister("replaced");
    metrics::Counter fresh{{.name = "replaced", .documentation = "new", .registry = &registry}};
    step.store(2);
  });
  const std::string text = metrics::generate_latest(registry);
  registrar.join();
  EXPECT_EQ(testing_::lines_starting_with(text, "# TYPE replaced_total "), 1) << text;
  EXPECT_EQ(testing_::parse_exposition(text).error, "") << text;
}

TEST(ConcurrentChildren, SetFunctionReplacedWhileScraping) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  Problems problems;
  Scraper first(registry, metrics::Format::text_0_0_4, problems,
                [](const testing_::Exposition& parsed, Problems& found) {
                  const double value = parsed.value("g");
                  if (value < 0 || value >= 1000 || value != static_cast<int>(value)) {
                    found.add("g = " + std::to_string(value));
                  }
                });
  Scraper second(registry, metrics::Format::openmetrics_1_0_0, problems);
  int i = 0;
  for (; i < 1000 || first.wants_more(0); ++i) {
    gauge.set_function([value = i % 1000] { return static_cast<double>(value); });
  }
  first.stop();
  second.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_EQ(gauge.value(), (i - 1) % 1000);
}

TEST(ConcurrentChildren, ThreadsThatExitHandTheirSlotsOverWithoutLosingCounts) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  Problems problems;
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [](const testing_::Exposition& parsed, Problems& found) {
                    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
                      testing_::check_histogram("h", series, 2, {0.5, 2.0}, found);
                    }
                  });
  // One long-lived writer keeps its slot while generations of short-lived ones come and go.
  std::atomic<bool> stop{false};
  long steady_rounds = 0;
  std::thread steady([&] {
    while (!stop.load()) {
      counter.inc();
      histogram.observe(2);
      ++steady_rounds;
    }
  });
  constexpr int kGenerations = 40;
  constexpr int kPerThread = 2000;
  for (int generation = 0; generation < kGenerations; ++generation) {
    testing_::run_threads(3, [&](int) {
      for (int i = 0; i < kPerThread; ++i) {
        counter.inc();
        histogram.observe(0.5);
      }
    });
  }
  stop = true;
  steady.join();
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  const double churned = kGenerations * 3.0 * kPerThread;
  EXPECT_EQ(counter.value(), churned + static_cast<double>(steady_rounds));
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "1.0"}}), churned);
  EXPECT_EQ(parsed.value("h_count"), churned + static_cast<double>(steady_rounds));
}

TEST(ConcurrentChildren, MoreThreadsThanSlotsStayExact) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  Problems problems;
  Scraper scraper(registry, metrics::Format::text_0_0_4, problems,
                  [](const testing_::Exposition& parsed, Problems& found) {
                    for (const auto& [key, series] : testing_::histogram_series(parsed, "h")) {
                      testing_::check_histogram("h", series, 2, {0.5, 2.0}, found);
                    }
                  });
  constexpr int kMany = 80;  // more than the 64 slots any machine gets
  constexpr int kPerThread = 2000;
  testing_::run_threads(kMany, [&](int index) {
    for (int i = 0; i < kPerThread; ++i) {
      counter.inc();
      if (i % 2 == 0) counter.inc(0.5);
      histogram.observe(index % 2 == 0 ? 0.5 : 2);
      summary.observe(1);
    }
  });
  scraper.stop();
  EXPECT_TRUE(problems.empty()) << problems.summary();
  EXPECT_EQ(counter.value(), kMany * kPerThread * 1.25);
  const auto parsed = testing_::parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.value("h_count"), kMany * kPerThread);
  EXPECT_EQ(parsed.value("h_bucket", {{"le", "1.0"}}), kMany / 2 * kPerThread);
  EXPECT_EQ(parsed.value("h_sum"), kMany / 2 * kPerThread * 2.5);
  EXPECT_EQ(parsed.value("s_count"), kMany * kPerThread);
  EXPECT_EQ(parsed.value("s_sum"), kMany * kPerThread);
}
