#include "bentoml/metrics/prometheus_cpp/interop.hpp"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;

TEST(PrometheusCppInterop, APrometheusCppRegistryIsServedThroughOurs) {
  auto legacy = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("legacy_requests_total")
      .Help("Requests \"served\"")
      .Register(*legacy)
      .Add({{"code", "200"}})
      .Increment(3);
  prometheus::BuildGauge().Name("legacy_queue").Help("Queue").Register(*legacy).Add({}).Set(-2.5);
  auto& histogram = prometheus::BuildHistogram()
                        .Name("legacy_latency_seconds")
                        .Help("Latency")
                        .Register(*legacy)
                        .Add({{"path", "/a\"b"}}, prometheus::Histogram::BucketBoundaries{0.1, 1});
  histogram.Observe(0.05);
  histogram.Observe(0.5);
  histogram.Observe(5);
  auto& summary = prometheus::BuildSummary()
                      .Name("legacy_size")
                      .Help("Size")
                      .Register(*legacy)
                      .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}});
  summary.Observe(4);

  metrics::Registry ours;
  metrics::Counter native{{.name = "native", .documentation = "Ours", .registry = &ours}};
  native.inc();
  ours.register_collector(metrics::from_collectable(legacy));
  for (auto format : {metrics::Format::text_0_0_4, metrics::Format::openmetrics_1_0_0}) {
    const std::string text = metrics::generate_latest(ours, format);
    const auto parsed = metrics::testing::parse_exposition(text, format);
    ASSERT_EQ(parsed.error, "") << text;
    EXPECT_EQ(parsed.value("native_total"), 1);
    EXPECT_EQ(parsed.value("legacy_requests_total", {{"code", "200"}}), 3) << text;
    EXPECT_EQ(parsed.value("legacy_queue"), -2.5);
    EXPECT_EQ(parsed.value("legacy_latency_seconds_bucket", {{"le", "0.1"}, {"path", "/a\"b"}}), 1);
    EXPECT_EQ(parsed.value("legacy_latency_seconds_bucket", {{"le", "1.0"}, {"path", "/a\"b"}}), 2);
    EXPECT_EQ(parsed.value("legacy_latency_seconds_bucket", {{"le", "+Inf"}, {"path", "/a\"b"}}),
              3);
    EXPECT_EQ(parsed.value("legacy_latency_seconds_count", {{"path", "/a\"b"}}), 3);
    EXPECT_EQ(parsed.value("legacy_latency_seconds_sum", {{"path", "/a\"b"}}), 5.55);
    EXPECT_EQ(parsed.value("legacy_size", {{"quantile", "0.5"}}), 4);
    EXPECT_EQ(parsed.value("legacy_size_count"), 1);
    EXPECT_TRUE(metrics::testing::contains(text, "Requests \\\"served\\\"") ||
                metrics::testing::contains(text, "Requests \"served\""));
  }
}

TEST(PrometheusCppInterop, OurRegistryIsAPrometheusCppCollectable) {
  metrics::Registry ours;
  metrics::Counter requests{{.name = "requests",
                             .documentation = "Req\nuests",
                             .labelnames = {"code"},
                             .registry = &ours}};
  requests.labels({"a\"b\\c"}).inc(2.5);
  metrics::Gauge temperature{{.name = "temperature", .documentation = "T", .registry = &ours}};
  temperature.set(-1e-3);
  metrics::Histogram latency{
      {.name = "latency", .documentation = "L", .buckets = {0.1, 1}, .registry = &ours}};
  latency.observe(0.05);
  latency.observe(3);
  metrics::Summary size{{.name = "size", .documentation = "S", .registry = &ours}};
  size.observe(7);

  const auto collectable = metrics::as_collectable(ours);
  const std::string text = prometheus::TextSerializer().Serialize(collectable->Collect());
  const auto parsed = metrics::testing::parse_exposition(text);
  ASSERT_EQ(parsed.error, "") << text;
  EXPECT_EQ(parsed.value("requests_total", {{"code", "a\"b\\c"}}), 2.5) << text;
  EXPECT_EQ(parsed.value("temperature"), -1e-3);
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "0.1"}}), 1) << text;
  EXPECT_EQ(parsed.value("latency_bucket", {{"le", "+Inf"}}), 2) << text;
  EXPECT_EQ(parsed.value("latency_count"), 2);
  EXPECT_EQ(parsed.value("latency_sum"), 3.05);
  EXPECT_EQ(parsed.value("size_count"), 1);
  EXPECT_EQ(parsed.value("size_sum"), 7);
  // HELP stays escaped: prometheus-cpp writes it as given.
  EXPECT_TRUE(metrics::testing::contains(text, "# HELP requests_total Req\\nuests\n")) << text;
}
