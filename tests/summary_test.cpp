#include "bentoml/metrics/summary.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;

TEST(Summary, CountAndSum) {
  metrics::Registry registry;
  metrics::Summary payload{
      {.name = "payload", .documentation = "Payload size", .unit = "bytes", .registry = &registry}};
  payload.observe(512);
  payload.observe(0.5);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "# TYPE payload_bytes summary"));
  EXPECT_TRUE(has_line(text, "payload_bytes_count 2.0"));
  EXPECT_TRUE(has_line(text, "payload_bytes_sum 512.5"));
  EXPECT_TRUE(contains(text, "payload_bytes_created "));
  EXPECT_FALSE(contains(text, "quantile"));
  EXPECT_FALSE(contains(text, "_bucket"));
}

TEST(Summary, LabelsTimeAndReservedQuantile) {
  metrics::Registry registry;
  metrics::Summary summary{
      {.name = "s", .documentation = "d", .labelnames = {"op"}, .registry = &registry}};
  summary.labels({"read"}).observe(1);
  { auto timer = summary.labels({{"op", "write"}}).time(); }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s_count{op=\"read\"} 1.0"));
  EXPECT_TRUE(has_line(text, "s_count{op=\"write\"} 1.0"));
  EXPECT_THROW(summary.observe(1), metrics::Error);
  EXPECT_THROW(metrics::Summary({.name = "q", .labelnames = {"quantile"}, .registry = &registry}),
               metrics::Error);
  summary.remove({"read"});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "op=\"read\""));
}
