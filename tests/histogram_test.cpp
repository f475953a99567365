#include "bentoml/metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::sample_value;

TEST(Histogram, CumulativeBucketsCountSumAndCreated) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "latency",
                                .documentation = "Latency",
                                .labelnames = {"route"},
                                .buckets = {0.1, 0.5, 1},
                                .registry = &registry}};
  auto child = histogram.labels({"/"});
  for (double value : {0.05, 0.1, 0.3, 0.7, 2.0}) child.observe(value);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "# TYPE latency histogram"));
  EXPECT_TRUE(has_line(text, "latency_bucket{le=\"0.1\",route=\"/\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "latency_bucket{le=\"0.5\",route=\"/\"} 3.0"));
  EXPECT_TRUE(has_line(text, "latency_bucket{le=\"1.0\",route=\"/\"} 4.0"));
  EXPECT_TRUE(has_line(text, "latency_bucket{le=\"+Inf\",route=\"/\"} 5.0"));
  EXPECT_TRUE(has_line(text, "latency_count{route=\"/\"} 5.0"));
  EXPECT_DOUBLE_EQ(sample_value(text, "latency_sum{route=\"/\"}"), 3.15);
  EXPECT_GT(sample_value(text, "latency_created{route=\"/\"}"), 1.6e9);
  // Bucket lines come in increasing order, then _count, then _sum.
  EXPECT_LT(text.find("le=\"0.1\""), text.find("le=\"0.5\""));
  EXPECT_LT(text.find("le=\"+Inf\""), text.find("latency_count"));
  EXPECT_LT(text.find("latency_count"), text.find("latency_sum"));
}

TEST(Histogram, LeIsPlacedAmongLabelsInSortedOrder) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                .registry = &registry}};
  histogram.labels({"2.1.0", "cuda:0"}).observe(0.012);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(
      text,
      "h_bucket{device_id=\"cuda:0\",le=\"0.0022500000000000003\",torch_version=\"2.1.0\"} 0.0"))
      << text;
  EXPECT_TRUE(
      has_line(text, "h_bucket{device_id=\"cuda:0\",le=\"10.0\",torch_version=\"2.1.0\"} 1.0"));
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
  EXPECT_TRUE(has_line(more, "a_bucket{le=\"1.0\",z=\"x\"} 1.0"));
  EXPECT_TRUE(has_line(more, "b_bucket{a=\"x\",le=\"1.0\"} 1.0"));
}

TEST(Histogram, DefaultBucketsAndUnlabelledRecording) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(histogram.buckets(), metrics::default_buckets());
  histogram.observe(0.2);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "h_bucket{le=\"0.25\"} 1.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "h_bucket{le=\"0.1\"} 0.0"));
}

TEST(Histogram, NanGoesToInfBucketAndKeepsCountWhole) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  histogram.observe(std::nan(""));
  histogram.observe(0.5);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1.0\"} 1.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"+Inf\"} 2.0"));
  EXPECT_TRUE(has_line(text, "h_count 2.0"));
  EXPECT_TRUE(has_line(text, "h_sum NaN"));
}

TEST(Histogram, ManyBucketsUseBinarySearchCorrectly) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .buckets = metrics::linear_buckets(1, 1, 60),
                                .registry = &registry}};
  for (int value = 0; value <= 61; ++value) histogram.observe(value);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1.0\"} 2.0"));  // 0 and 1
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"30.0\"} 31.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"60.0\"} 61.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"+Inf\"} 62.0"));
}

TEST(Histogram, TimerObservesTheScope) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {0.001, 10}, .registry = &registry}};
  {
    auto timer = histogram.time();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"0.001\"} 0.0"));
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"10.0\"} 1.0"));
  auto timer = histogram.time();
  timer.observe_now();
  timer.observe_now();  // once only
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "h_count 2.0"));
}

TEST(Histogram, ExemplarsPerBucketInOpenMetrics) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1, 2}, .registry = &registry}};
  histogram.observe(0.5, {{"trace_id", "first"}});
  histogram.observe(0.7, {{"trace_id", "second"}, {"span", "s"}});
  histogram.observe(1.5);
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "h_bucket{le=\"1.0\"} 2.0 # {span=\"s\",trace_id=\"second\"} 0.7 "))
      << om;
  EXPECT_TRUE(has_line(om, "h_bucket{le=\"2.0\"} 3.0"));
  const std::string long_value(129, 'x');
  EXPECT_THROW(histogram.observe(1, {{"t", long_value}}), metrics::Error);
  // 800 UTF-8 continuation bytes count as no characters, but would not fit the exemplar slot.
  const std::string not_utf8(800, '\x80');
  EXPECT_THROW(histogram.observe(1, {{"t", not_utf8}}), metrics::Error);
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "h_count 3.0"));
}

TEST(Histogram, BadBucketsAndReservedLabelsThrow) {
  metrics::Registry registry;
  using Options = metrics::Histogram::Options;
  EXPECT_THROW(metrics::Histogram(Options{.name = "h", .buckets = {2, 1}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Histogram(Options{.name = "h", .buckets = {1, 1}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(
      metrics::Histogram(Options{.name = "h", .buckets = {std::nan("")}, .registry = &registry}),
      metrics::Error);
  EXPECT_THROW(
      metrics::Histogram(Options{.name = "h", .buckets = {INFINITY}, .registry = &registry}),
      metrics::Error);
  try {
    metrics::Histogram(Options{.name = "h", .labelnames = {"le"}, .registry = &registry});
    FAIL();
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "'h'"));
    EXPECT_TRUE(contains(error.what(), "le"));
  }
  // Nothing of the failed constructions was registered.
  metrics::Histogram ok{{.name = "h", .documentation = "d", .registry = &registry}};
}

TEST(Histogram, NegativeBoundsLeaveOutSumAsPythonDoes) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {-1, 1}, .registry = &registry}};
  histogram.observe(-2);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"-1.0\"} 1.0"));
  EXPECT_FALSE(contains(text, "h_sum"));
}
