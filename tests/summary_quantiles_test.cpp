// Summary quantiles: option checks, the exposition (ours and prometheus_client's parsers), the
// rank error bound against the exact quantiles of the same observations, and the sliding window
// moved by an injected clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::error_of;
using metrics::testing::has_line;
using metrics::testing::parse_exposition;

namespace {

using Options = metrics::Summary::Options;
using Quantile = metrics::Summary::Quantile;

/// The injected clock: nanoseconds set by the test.
std::atomic<std::int64_t> fake_now{0};
std::int64_t fake_clock() noexcept { return fake_now.load(std::memory_order_relaxed); }
constexpr std::int64_t kSecond = 1'000'000'000;

const std::vector<Quantile> kTargets{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}, {0.1, 0.01}};

/// The value of `name{quantile="q"}` in the text exposition (NaN if absent or NaN).
double quantile_value(const metrics::Registry& registry, const std::string& name,
                      const std::string& quantile) {
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.error, "");
  const auto found = parsed.find(name, {{"quantile", quantile}});
  EXPECT_EQ(found.size(), 1u) << name << " quantile " << quantile;
  return found.size() == 1 ? found.front()->value : std::nan("");
}

std::string label_of(double q) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", q);
  return text;
}

/// Checks every target against the exact quantiles of `window` (the observations the summary's
/// window holds): the reported value lies between the exact values at ranks (q - e) n and
/// (q + e) n (1-based, clamped to [1, n]).
void expect_within_bounds(const metrics::Registry& registry, const std::string& name,
                          std::vector<double> window, const std::vector<Quantile>& targets) {
  std::sort(window.begin(), window.end());
  const auto n = static_cast<double>(window.size());
  for (const Quantile& target : targets) {
    const double reported = quantile_value(registry, name, label_of(target.quantile));
    if (window.empty()) {
      EXPECT_TRUE(std::isnan(reported)) << reported;
      continue;
    }
    const auto low_rank = static_cast<std::size_t>(
        std::clamp(std::floor((target.quantile - target.error) * n), 1.0, n));
    const auto high_rank = static_cast<std::size_t>(
        std::clamp(std::ceil((target.quantile + target.error) * n), 1.0, n));
    EXPECT_GE(reported, window[low_rank - 1])
        << name << " q=" << target.quantile << " e=" << target.error << " n=" << n;
    EXPECT_LE(reported, window[high_rank - 1])
        << name << " q=" << target.quantile << " e=" << target.error << " n=" << n;
  }
}

class SummaryQuantiles : public ::testing::Test {
 protected:
  void SetUp() override {
    metrics::testing::enable_created_series();
    fake_now.store(1000 * kSecond);
  }
  metrics::Summary make(const std::string& name, std::vector<Quantile> targets = kTargets) {
    return metrics::Summary{{.name = name,
                             .documentation = "d",
                             .registry = &registry,
                             .quantiles = std::move(targets),
                             .max_age = std::chrono::seconds(10),
                             .age_buckets = 5,
                             .clock = &fake_clock}};
  }
  metrics::Registry registry;
};

/// Observes `values` and checks the bounds against all of them (the clock stands still).
void check_sequence(metrics::Registry& registry, const std::string& name,
                    const std::vector<double>& values) {
  metrics::Summary summary{{.name = name,
                            .documentation = "d",
                            .registry = &registry,
                            .quantiles = kTargets,
                            .clock = &fake_clock}};
  for (double value : values) summary.observe(value);
  expect_within_bounds(registry, name, values, kTargets);
  // A second scrape with nothing new reports from the same window.
  expect_within_bounds(registry, name, values, kTargets);
}

}  // namespace

TEST_F(SummaryQuantiles, OptionsAreValidatedNamingTheMetric) {
  auto with = [this](std::vector<Quantile> targets, std::chrono::nanoseconds max_age,
                     int age_buckets) {
    return error_of([&] {
      metrics::Summary summary{{.name = "bad_summary",
                                .documentation = "d",
                                .registry = &registry,
                                .quantiles = std::move(targets),
                                .max_age = max_age,
                                .age_buckets = age_buckets}};
    });
  };
  const std::chrono::nanoseconds minute = std::chrono::minutes(1);
  EXPECT_NE(with({{1.5, 0.01}}, minute, 5).find("'bad_summary'"), std::string::npos);
  EXPECT_NE(with({{1.5, 0.01}}, minute, 5).find("quantile 1.5 is not in [0, 1]"),
            std::string::npos);
  EXPECT_NE(with({{-0.1, 0.01}}, minute, 5).find("not in [0, 1]"), std::string::npos);
  EXPECT_NE(with({{std::nan(""), 0.01}}, minute, 5).find("not in [0, 1]"), std::string::npos);
  EXPECT_NE(with({{0.5, 0}}, minute, 5).find("error 0.0 of quantile 0.5 is not in (0, 1)"),
            std::string::npos);
  EXPECT_NE(with({{0.5, 1}}, minute, 5).find("not in (0, 1)"), std::string::npos);
  EXPECT_NE(with({{0.5, 0.1}, {0.5, 0.01}}, minute, 5).find("given twice"), std::string::npos);
  EXPECT_NE(with({{0.5, 0.1}}, minute, 0).find("age_buckets must be at least 1"),
            std::string::npos);
  EXPECT_NE(with({{0.5, 0.1}}, std::chrono::nanoseconds(0), 5).find("max_age must be positive"),
            std::string::npos);
  // Nothing was registered by the failed constructions: a valid one of the same name succeeds
  // (and again, identical, reusing the family).
  EXPECT_EQ(with({{0, 0.5}, {1, 0.5}}, minute, 1), "no exception");
  EXPECT_EQ(with({{0, 0.5}, {1, 0.5}}, minute, 1), "no exception");
}

TEST_F(SummaryQuantiles, EmptyWindowIsNaNAndSamplesPrecedeSumAndCount) {
  metrics::Summary latency = make("latency_seconds", {{0.5, 0.05}, {0.99, 0.001}});
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "latency_seconds{quantile=\"0.5\"} NaN")) << text;
  EXPECT_TRUE(has_line(text, "latency_seconds{quantile=\"0.99\"} NaN")) << text;
  EXPECT_LT(text.find("quantile=\"0.99\""), text.find("latency_seconds_count"));
  EXPECT_LT(text.find("latency_seconds_count"), text.find("latency_seconds_sum"));
  latency.observe(2.5);
  const std::string after = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(after, "latency_seconds{quantile=\"0.5\"} 2.5")) << after;
  EXPECT_TRUE(has_line(after, "latency_seconds_count 1.0")) << after;
  EXPECT_TRUE(has_line(after, "latency_seconds_sum 2.5")) << after;
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "latency_seconds{quantile=\"0.99\"} 2.5")) << om;
  EXPECT_EQ(parse_exposition(om, metrics::Format::openmetrics_1_0_0).error, "");
}

TEST_F(SummaryQuantiles, QuantileLabelSortsAmongTheOthers) {
  metrics::Summary summary{{.name = "s",
                            .documentation = "d",
                            .labelnames = {"zone", "app"},
                            .registry = &registry,
                            .quantiles = {{0.5, 0.05}},
                            .clock = &fake_clock}};
  summary.labels({"z1", "a1"}).observe(1);
  summary.labels({"z2", "a2"}).observe(2);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s{app=\"a1\",quantile=\"0.5\",zone=\"z1\"} 1.0")) << text;
  EXPECT_TRUE(has_line(text, "s{app=\"a2\",quantile=\"0.5\",zone=\"z2\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_count{app=\"a2\",zone=\"z2\"} 1.0")) << text;
}

TEST_F(SummaryQuantiles, CountAndSumStayExactAndNaNIsNotRanked) {
  metrics::Summary summary = make("s");
  double sum = 0;
  for (int i = 1; i <= 5000; ++i) {
    summary.observe(i);
    sum += i;
  }
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.value("s_count"), 5000);
  EXPECT_EQ(parsed.value("s_sum"), sum);
  summary.observe(std::nan(""));
  std::vector<double> values;
  for (int i = 1; i <= 5000; ++i) values.push_back(i);
  expect_within_bounds(registry, "s", values, kTargets);
}

TEST_F(SummaryQuantiles, TimerRecordsIntoTheWindow) {
  metrics::Summary summary = make("s", {{0.5, 0.05}});
  { auto timer = summary.time(); }
  const double median = quantile_value(registry, "s", "0.5");
  EXPECT_GE(median, 0);
  EXPECT_LT(median, 10);
}

TEST_F(SummaryQuantiles, BoundsHoldForUniformValues) {
  std::mt19937_64 random(1);
  std::uniform_real_distribution<double> uniform(0, 1000);
  std::vector<double> values(100'000);
  for (double& value : values) value = uniform(random);
  check_sequence(registry, "uniform", values);
}

TEST_F(SummaryQuantiles, BoundsHoldForExponentialValues) {
  std::mt19937_64 random(2);
  std::exponential_distribution<double> exponential(3.0);
  std::vector<double> values(100'000);
  for (double& value : values) value = exponential(random);
  check_sequence(registry, "exponential", values);
}

TEST_F(SummaryQuantiles, BoundsHoldForSortedValues) {
  std::vector<double> ascending(60'000);
  for (std::size_t i = 0; i < ascending.size(); ++i) ascending[i] = static_cast<double>(i);
  check_sequence(registry, "ascending", ascending);
  std::vector<double> descending(ascending.rbegin(), ascending.rend());
  check_sequence(registry, "descending", descending);
}

TEST_F(SummaryQuantiles, BoundsHoldForAdversarialSequences) {
  // Extremes alternating, closing in on the middle: each value lands between stored ones.
  std::vector<double> converging;
  for (int i = 0; i < 30'000; ++i) {
    converging.push_back(i);
    converging.push_back(100'000 - i);
  }
  check_sequence(registry, "converging", converging);
  // Bit-reversed order: every batch refines every gap left by the earlier ones.
  std::vector<double> bit_reversed;
  for (std::uint32_t i = 0; i < (1u << 16); ++i) {
    std::uint32_t reversed = 0;
    for (int bit = 0; bit < 16; ++bit) reversed |= ((i >> bit) & 1u) << (15 - bit);
    bit_reversed.push_back(reversed);
  }
  check_sequence(registry, "bit_reversed", bit_reversed);
  // Heavy ties, then a shift of the distribution.
  std::vector<double> ties;
  for (int i = 0; i < 40'000; ++i) ties.push_back(i % 3);
  for (int i = 0; i < 20'000; ++i) ties.push_back(1000 + i);
  check_sequence(registry, "ties", ties);
  // Sawtooth of growing teeth.
  std::vector<double> sawtooth;
  for (int tooth = 1; sawtooth.size() < 50'000; ++tooth) {
    for (int i = 0; i < tooth * 10; ++i) sawtooth.push_back(i);
  }
  check_sequence(registry, "sawtooth", sawtooth);
}

TEST_F(SummaryQuantiles, WindowRotatesWithTheInjectedClock) {
  // max_age 10 s in 5 buckets: epochs of 2 s; after the window reaches epoch E it holds the
  // observations of epochs E - 4 .. E.
  metrics::Summary summary = make("rotating");
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  struct Observation {
    std::int64_t epoch;
    double value;
  };
  std::vector<Observation> all;
  const std::int64_t start = fake_now.load();
  const std::int64_t period = 2 * kSecond;
  auto window_at = [&](std::int64_t epoch) {
    std::vector<double> window;
    for (const Observation& o : all) {
      if (o.epoch >= epoch - 4 && o.epoch <= epoch) window.push_back(o.value);
    }
    return window;
  };
  // 30 s in steps of 0.25 s, scraping every few steps; each step's values drift upward so that
  // dropping old ones shifts every quantile.
  for (int step = 0; step < 120; ++step) {
    const std::int64_t now = start + step * (period / 8);
    fake_now.store(now);
    for (int i = 0; i < 700; ++i) {
      const double value = uniform(random) + step * 0.1;
      summary.observe(value);
      all.push_back({now / period, value});
    }
    if (step % 7 == 3)
      expect_within_bounds(registry, "rotating", window_at(now / period), kTargets);
  }
  // Observations left in the rings across several rotations: scraped only 5 s later.
  const std::int64_t late = fake_now.load() + 5 * kSecond;
  fake_now.store(late);
  expect_within_bounds(registry, "rotating", window_at(late / period), kTargets);
  // After max_age without observations the window is empty.
  fake_now.store(late + 11 * kSecond);
  expect_within_bounds(registry, "rotating", {}, kTargets);
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  EXPECT_EQ(parsed.value("rotating_count"), static_cast<double>(all.size()));
}

TEST_F(SummaryQuantiles, OneAgeBucketDropsEverythingAtEachPeriod) {
  metrics::Summary summary{{.name = "single",
                            .documentation = "d",
                            .registry = &registry,
                            .quantiles = {{0.5, 0.05}},
                            .max_age = std::chrono::seconds(1),
                            .age_buckets = 1,
                            .clock = &fake_clock}};
  fake_now.store(5 * kSecond);
  summary.observe(1);
  EXPECT_EQ(quantile_value(registry, "single", "0.5"), 1);
  fake_now.store(5 * kSecond + kSecond / 2);
  for (int i = 0; i < 5; ++i) summary.observe(2);
  EXPECT_EQ(quantile_value(registry, "single", "0.5"), 2);
  fake_now.store(6 * kSecond);
  EXPECT_TRUE(std::isnan(quantile_value(registry, "single", "0.5")));
  summary.observe(3);
  EXPECT_EQ(quantile_value(registry, "single", "0.5"), 3);
}

TEST_F(SummaryQuantiles, BothFormatsParseWithPrometheusClient) {
  if (std::system("/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no prometheus_client";
  }
  metrics::Summary summary{{.name = "request_seconds",
                            .documentation = "Request \"latency\"",
                            .labelnames = {"route"},
                            .registry = &registry,
                            .quantiles = {{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}},
                            .clock = &fake_clock}};
  for (int i = 1; i <= 100; ++i) summary.labels({"/predict"}).observe(i);
  summary.labels({"/empty"});  // a NaN quantile
  const std::string path = ::testing::TempDir() + "summary_quantiles_exposition";
  const char* script =
      "import math,sys\n"
      "from prometheus_client.parser import text_string_to_metric_families as text\n"
      "from prometheus_client.openmetrics.parser import text_string_to_metric_families as om\n"
      "parse = om if sys.argv[2] == 'om' else text\n"
      "fams = [f for f in parse(open(sys.argv[1]).read()) if f.name == 'request_seconds']\n"
      "assert len(fams) == 1 and fams[0].type == 'summary', fams\n"
      "s = {(x.name, tuple(sorted(x.labels.items()))): x.value for x in fams[0].samples}\n"
      "assert s[('request_seconds', (('quantile', '0.5'), ('route', '/predict')))] in "
      "range(45, 56), s\n"
      "assert math.isnan(s[('request_seconds', (('quantile', '0.99'), ('route', '/empty')))])\n"
      "assert s[('request_seconds_count', (('route', '/predict'),))] == 100\n"
      "assert s[('request_seconds_sum', (('route', '/predict'),))] == 5050\n";
  const std::string script_path = path + ".py";
  std::ofstream(script_path) << script;
  for (const auto& [format, flag] : {std::pair{metrics::Format::text_0_0_4, "text"},
                                     std::pair{metrics::Format::openmetrics_1_0_0, "om"}}) {
    std::ofstream(path) << metrics::generate_latest(registry, format);
    const std::string command =
        "/usr/bin/python3 " + script_path + " " + path + " " + flag + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << flag << ":\n"
                                               << metrics::generate_latest(registry, format);
  }
  std::remove(path.c_str());
  std::remove(script_path.c_str());
}

TEST_F(SummaryQuantiles, ADifferentQuantileDefinitionIsADuplicate) {
  metrics::Summary first = make("defined");
  metrics::Summary same = make("defined");  // identical: the registry reuses the family
  same.observe(1);
  const std::string error = error_of([this] { make("defined", {{0.5, 0.01}}); });
  EXPECT_NE(error.find("differ in quantiles"), std::string::npos) << error;
  EXPECT_NE(error.find("quantiles [{0.5, 0.01}]"), std::string::npos) << error;
  const std::string plain = error_of([this] {
    metrics::Summary summary{{.name = "defined", .documentation = "d", .registry = &registry}};
  });
  EXPECT_NE(plain.find("differ in quantiles"), std::string::npos) << plain;
}
