#include "bentoml/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::parse_exposition;
using metrics::testing::sample_value;

namespace {

class Histogram : public metrics::testing::RegistryTest {};

using Options = metrics::Histogram::Options;
using metrics::testing::kInf;
constexpr auto construction_error = metrics::testing::construction_error<metrics::Histogram>;

}  // namespace

TEST_F(Histogram, CumulativeBucketsCountSumAndCreated) {
  metrics::Histogram histogram{{.name = "latency",
                                .documentation = "Latency",
                                .labelnames = {"route"},
                                .buckets = {0.1, 0.5, 1},
                                .registry = &registry}};
  auto child = histogram.labels({"/"});
  for (double value : {0.05, 0.1, 0.3, 0.7, 2.0}) child.observe(value);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(text.substr(0, text.find("latency_sum")),
            "# HELP latency Latency\n"
            "# TYPE latency histogram\n"
            "latency_bucket{le=\"0.1\",route=\"/\"} 2.0\n"
            "latency_bucket{le=\"0.5\",route=\"/\"} 3.0\n"
            "latency_bucket{le=\"1.0\",route=\"/\"} 4.0\n"
            "latency_bucket{le=\"+Inf\",route=\"/\"} 5.0\n"
            "latency_count{route=\"/\"} 5.0\n")
      << text;
  EXPECT_DOUBLE_EQ(sample_value(text, "latency_sum{route=\"/\"}"), 3.15);
  EXPECT_TRUE(has_line(text, "# TYPE latency_created gauge"));
  EXPECT_GT(sample_value(text, "latency_created{route=\"/\"}"), 1.6e9);
  EXPECT_LT(text.find("latency_sum"), text.find("latency_created"));
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  const auto parsed = parse_exposition(om, metrics::Format::openmetrics_1_0_0);
  ASSERT_EQ(parsed.error, "") << om;
  EXPECT_EQ(parsed.value("latency_count", {{"route", "/"}}), 5);
  EXPECT_EQ(parsed.find("latency_created", {{"route", "/"}}).size(), 1u);
}

TEST_F(Histogram, LeIsPlacedAmongLabelsInSortedOrder) {
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                .registry = &registry}};
  histogram.labels({"2.1.0", "cuda:0"}).observe(0.012);
  histogram.labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}}).observe(0.02);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(
      text,
      "h_bucket{device_id=\"cuda:0\",le=\"0.0022500000000000003\",torch_version=\"2.1.0\"} 0.0"))
      << text;
  EXPECT_TRUE(
      has_line(text, "h_bucket{device_id=\"cuda:0\",le=\"10.0\",torch_version=\"2.1.0\"} 2.0"));
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "h_bucket{"), 25);
  metrics::Histogram first{{.name = "a",
                            .documentation = "d",
                            .labelnames = {"z"},
                            .buckets = {1},
                            .registry = &registry}};
  first.labels({"x"}).observe(1);
  metrics::Histogram last{{.name = "b",
                           .documentation = "d",
                           .labelnames = {"a"},
                           .buckets = {1},
                           .registry = &registry}};
  last.labels({"x"}).observe(1);
  const std::string more = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(more, "a_bucket{le=\"1.0\",z=\"x\"} 1.0"));  // the bound is inclusive
  EXPECT_TRUE(has_line(more, "b_bucket{a=\"x\",le=\"1.0\"} 1.0"));
}

TEST_F(Histogram, DefaultBucketsAndUnlabelledRecording) {
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(histogram.buckets(), metrics::default_buckets());
  histogram.observe(0.2);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"0.25\"} 1.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"0.1\"} 0.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"0.005\"} 0.0"));
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "h_bucket"), 15);
}

TEST_F(Histogram, InfinityMayBeGivenOrLeftOut) {
  metrics::Histogram given{
      {.name = "g", .documentation = "d", .buckets = {1, 2, kInf}, .registry = &registry}};
  metrics::Histogram implied{
      {.name = "i", .documentation = "d", .buckets = {1, 2}, .registry = &registry}};
  EXPECT_EQ(given.buckets(), (std::vector<double>{1, 2, kInf}));
  EXPECT_EQ(implied.buckets(), (std::vector<double>{1, 2, kInf}));
  EXPECT_EQ(metrics::testing::lines_starting_with(metrics::generate_latest(registry),
                                                  "g_bucket{le=\"+Inf\"}"),
            1);
}

TEST_F(Histogram, NanGoesToInfBucketAndKeepsCountWhole) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  histogram.observe(std::nan(""));
  histogram.observe(0.5);
  histogram.observe(-kInf);
  histogram.observe(kInf);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1.0\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"+Inf\"} 4.0"));
  EXPECT_TRUE(has_line(text, "h_count 4.0"));
  EXPECT_TRUE(has_line(text, "h_sum NaN"));
}

TEST_F(Histogram, EveryValueLandsInTheFirstBucketNotBelowIt) {
  // Against std::lower_bound, for every depth of the search (2^k - 1 and 2^k bounds, up to past
  // the 4,095 that the unrolled steps cover).
  std::vector<std::vector<double>> cases = {
      {-1, 0, 0.5, 1}, metrics::exponential_buckets(0.001, 1.5, 10.0),
      metrics::linear_buckets(1, 1, 60), metrics::exponential_buckets(1e-9, 1.2, 1e9)};
  for (const int count : {1, 2, 3, 7, 8, 15, 16, 31, 32, 4095, 4096, 9000}) {
    std::vector<double> evenly;
    for (int i = 0; i < count; ++i) evenly.push_back(-10 + 0.5 * i);
    cases.push_back(evenly);
  }
  for (const std::vector<double>& bounds : cases) {
    metrics::Registry local;
    metrics::Histogram histogram{
        {.name = "h", .documentation = "d", .buckets = bounds, .registry = &local}};
    const std::vector<double> all = histogram.buckets();
    std::vector<double> values = all;  // every bound exactly, and just around it
    for (double bound : all) {
      values.push_back(std::nextafter(bound, -kInf));
      values.push_back(std::nextafter(bound, kInf));
    }
    std::mt19937_64 random(42);
    std::uniform_real_distribution<double> exponent(-12, 12);
    for (int i = 0; i < 2000; ++i) values.push_back(std::pow(10.0, exponent(random)));
    std::uniform_real_distribution<double> across(all.front() - 1, all[all.size() - 2] + 1);
    for (int i = 0; i < 2000 && all.size() > 1; ++i) values.push_back(across(random));
    values.push_back(-kInf);
    values.push_back(kInf);
    std::vector<double> expected(all.size(), 0);
    for (double value : values) {
      histogram.observe(value);
      ++expected[std::lower_bound(all.begin(), all.end(), value) - all.begin()];
    }
    const auto parsed = parse_exposition(metrics::generate_latest(local));
    ASSERT_EQ(parsed.error, "");
    const auto buckets = parsed.find("h_bucket", {{"le", "+Inf"}});
    ASSERT_EQ(buckets.size(), 1u);
    double cumulative = 0;
    std::size_t index = 0;
    for (const auto& sample : parsed.samples) {
      if (sample.name != "h_bucket") continue;
      ASSERT_LT(index, expected.size());
      cumulative += expected[index];
      EXPECT_EQ(sample.value, cumulative)
          << "le=" << sample.labels.at("le") << " of " << all.size() << " bounds";
      ++index;
    }
    EXPECT_EQ(index, all.size());
    EXPECT_EQ(parsed.value("h_count"), static_cast<double>(values.size()));
  }
}

TEST_F(Histogram, TimerObservesTheScope) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {0.001, 10}, .registry = &registry}};
  {
    auto timer = histogram.time();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"0.001\"} 0.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"10.0\"} 1.0"));
  EXPECT_GE(sample_value(text, "h_sum"), 0.005);
  auto timer = histogram.time();
  timer.observe_now();
  timer.observe_now();  // once only
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "h_count 2.0"));
  metrics::Histogram labelled{{.name = "l",
                               .documentation = "d",
                               .labelnames = {"op"},
                               .buckets = {10},
                               .registry = &registry}};
  { auto scope = labelled.labels({"read"}).time(); }
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "l_count{op=\"read\"} 1.0"));
}

TEST_F(Histogram, ExemplarsPerBucketInOpenMetrics) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1, 2}, .registry = &registry}};
  histogram.observe(0.5, {{"trace_id", "first"}});
  histogram.observe(0.7, {{"trace_id", "second"}, {"span", "s"}});
  histogram.observe(1.5);
  histogram.observe(std::nan(""), {{"trace_id", "nan"}});
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "h_bucket{le=\"1.0\"} 2.0 # {span=\"s\",trace_id=\"second\"} 0.7 "))
      << om;
  EXPECT_TRUE(has_line(om, "h_bucket{le=\"2.0\"} 3.0"));
  EXPECT_TRUE(contains(om, "h_bucket{le=\"+Inf\"} 4.0 # {trace_id=\"nan\"} NaN ")) << om;
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "trace_id"));
  const std::string long_value(128, 'x');  // 129 characters with the name
  EXPECT_THROW(histogram.observe(1, {{"t", long_value}}), metrics::Error);
  histogram.observe(1, {{"t", std::string(127, 'x')}});
  // 800 UTF-8 continuation bytes count as no characters, but would not fit the exemplar slot.
  const std::string not_utf8(800, '\x80');
  EXPECT_THROW(histogram.observe(1, {{"t", not_utf8}}), metrics::Error);
  EXPECT_THROW(histogram.observe(1, {{"trace-id", "x"}}), metrics::Error);
  const auto parsed =
      parse_exposition(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
                       metrics::Format::openmetrics_1_0_0);
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.value("h_count"), 5);  // rejected exemplars recorded nothing
  const auto bucket = parsed.find("h_bucket", {{"le", "1.0"}});
  ASSERT_EQ(bucket.size(), 1u);
  EXPECT_EQ(bucket[0]->exemplar_labels.at("t"), std::string(127, 'x'));
}

TEST_F(Histogram, BadBucketsThrowNamingTheMetric) {
  for (const std::vector<double>& buckets :
       {std::vector<double>{2, 1}, std::vector<double>{1, 1}, std::vector<double>{1, 2, 2, 3},
        std::vector<double>{std::nan("")}, std::vector<double>{1, std::nan(""), 3},
        std::vector<double>{kInf}, std::vector<double>{1, kInf, 2},
        std::vector<double>{1, 2, -kInf}}) {
    const std::string message =
        construction_error({.name = "hb", .buckets = buckets, .registry = &registry});
    EXPECT_TRUE(contains(message, "'hb'")) << message;
  }
  // Nothing of the failed constructions was registered.
  metrics::Histogram ok{{.name = "hb", .documentation = "d", .registry = &registry}};
}

TEST_F(Histogram, ReservedAndInvalidNamesThrow) {
  std::string message =
      construction_error({.name = "h", .labelnames = {"le"}, .registry = &registry});
  EXPECT_TRUE(contains(message, "'h'") && contains(message, "'le'")) << message;
  message = construction_error({.name = "h", .labelnames = {"__x"}, .registry = &registry});
  EXPECT_TRUE(contains(message, "'h'") && contains(message, "__x")) << message;
  message = construction_error({.name = "h", .labelnames = {"a", "a"}, .registry = &registry});
  EXPECT_TRUE(contains(message, "'h'") && contains(message, "'a'")) << message;
  message = construction_error({.name = "9h", .registry = &registry});
  EXPECT_TRUE(contains(message, "'9h'")) << message;
  EXPECT_NE(construction_error({.name = "", .registry = &registry}), "no exception");
  // `quantile` is only reserved for summaries.
  metrics::Histogram quantile{{.name = "q",
                               .documentation = "d",
                               .labelnames = {"quantile"},
                               .buckets = {1},
                               .registry = &registry}};
  quantile.labels({"0.5"}).observe(1);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "q_count{quantile=\"0.5\"} 1.0"));
}

TEST_F(Histogram, OptionsAndDefaultRegistry) {
  metrics::Histogram histogram{{.name = "duration",
                                .documentation = "d",
                                .namespace_ = "bento",
                                .subsystem = "api",
                                .unit = "seconds",
                                .buckets = {1},
                                .registry = &registry}};
  EXPECT_EQ(histogram.name(), "bento_api_duration_seconds");
  histogram.observe(0.5);
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# UNIT bento_api_duration_seconds seconds")) << om;
  EXPECT_TRUE(has_line(om, "bento_api_duration_seconds_bucket{le=\"1.0\"} 1.0")) << om;
  metrics::Histogram in_default{
      {.name = "histogram_test_default_registry", .documentation = "d", .buckets = {1}}};
  in_default.observe(3);
  EXPECT_TRUE(has_line(metrics::generate_latest(),
                       "histogram_test_default_registry_bucket{le=\"+Inf\"} 1.0"));
  EXPECT_TRUE(metrics::default_registry().unregister("histogram_test_default_registry"));
}

TEST_F(Histogram, LabelledHistogramRejectsDirectRecording) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  EXPECT_THROW(histogram.observe(1), metrics::Error);
  EXPECT_THROW(histogram.observe(1, {{"t", "x"}}), metrics::Error);
  EXPECT_THROW((void)histogram.time(), metrics::Error);
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "h_count"));
}

TEST_F(Histogram, RemoveClearAndRevive) {
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"l"},
                                .buckets = {1},
                                .registry = &registry}};
  auto a = histogram.labels({"a"});
  a.observe(0.5);
  histogram.labels({"b"}).observe(2);
  histogram.remove({"a"});
  std::string text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "l=\"a\"")) << text;
  EXPECT_TRUE(has_line(text, "h_count{l=\"b\"} 1.0"));
  a.observe(0.5);  // still valid
  histogram.clear();
  text = metrics::generate_latest(registry);
  EXPECT_EQ(text, "# HELP h d\n# TYPE h histogram\n");
  histogram.labels({{"l", "a"}}).observe(3);
  text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{l=\"a\",le=\"1.0\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "h_count{l=\"a\"} 3.0")) << text;
  EXPECT_TRUE(has_line(text, "h_sum{l=\"a\"} 4.0")) << text;
}

TEST_F(Histogram, NegativeBoundsLeaveOutSumAsPythonDoes) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {-1, 1}, .registry = &registry}};
  histogram.observe(-2);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"-1.0\"} 1.0"));
  EXPECT_FALSE(contains(text, "h_sum"));
}

TEST_F(Histogram, LargeAndSmallBoundsUseGoStyleLe) {
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1e-05, 0.5, 1e6}, .registry = &registry}};
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1e-05\"} 0.0")) << text;
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1e+06\"} 0.0")) << text;
}
