#include "bentoml/metrics/summary.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::parse_exposition;
using metrics::testing::sample_value;

namespace {

class Summary : public metrics::testing::RegistryTest {};

using Options = metrics::Summary::Options;

constexpr auto construction_error = metrics::testing::construction_error<metrics::Summary>;

}  // namespace

TEST_F(Summary, CountAndSumWithCreatedAfterThem) {
  metrics::Summary payload{
      {.name = "payload", .documentation = "Payload size", .unit = "bytes", .registry = &registry}};
  EXPECT_EQ(payload.name(), "payload_bytes");
  payload.observe(512);
  payload.observe(0.5);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(text.substr(0, text.find("\npayload_bytes_created ") + 1),
            "# HELP payload_bytes Payload size\n"
            "# TYPE payload_bytes summary\n"
            "payload_bytes_count 2.0\n"
            "payload_bytes_sum 512.5\n"
            "# HELP payload_bytes_created Payload size\n"
            "# TYPE payload_bytes_created gauge\n")
      << text;
  EXPECT_GT(sample_value(text, "payload_bytes_created"), 1.6e9);
  EXPECT_FALSE(contains(text, "quantile"));
  EXPECT_FALSE(contains(text, "_bucket"));
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  const auto parsed = parse_exposition(om, metrics::Format::openmetrics_1_0_0);
  ASSERT_EQ(parsed.error, "") << om;
  EXPECT_TRUE(has_line(om, "# UNIT payload_bytes bytes"));
  EXPECT_EQ(parsed.value("payload_bytes_count"), 2);
  EXPECT_EQ(parsed.value("payload_bytes_sum"), 512.5);
  EXPECT_EQ(parsed.find("payload_bytes_created").size(), 1u);
}

TEST_F(Summary, EmptySummaryIsExposedAtZero) {
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s_count 0.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum 0.0")) << text;
}

TEST_F(Summary, NegativeAndSpecialObservations) {
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  summary.observe(-3);
  summary.observe(1.25);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "s_sum -1.75"));
  summary.observe(std::nan(""));
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s_count 3.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum NaN")) << text;
}

TEST_F(Summary, LabelsTimeRemoveAndClear) {
  metrics::Summary summary{
      {.name = "s", .documentation = "d", .labelnames = {"op"}, .registry = &registry}};
  auto read = summary.labels({"read"});
  read.observe(1);
  {
    auto timer = summary.labels({{"op", "write"}}).time();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s_count{op=\"read\"} 1.0"));
  EXPECT_TRUE(has_line(text, "s_sum{op=\"read\"} 1.0"));
  EXPECT_TRUE(has_line(text, "s_count{op=\"write\"} 1.0"));
  EXPECT_GE(sample_value(text, "s_sum{op=\"write\"}"), 0.002);
  EXPECT_THROW(summary.observe(1), metrics::Error);
  EXPECT_THROW((void)summary.time(), metrics::Error);
  summary.remove({"read"});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "op=\"read\""));
  read.observe(2);  // the handle stays valid
  summary.clear();
  EXPECT_EQ(metrics::generate_latest(registry), "# HELP s d\n# TYPE s summary\n");
  summary.labels({"read"}).observe(3);
  text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "s_count{op=\"read\"} 3.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum{op=\"read\"} 6.0")) << text;
  EXPECT_FALSE(contains(text, "op=\"write\""));
}

TEST_F(Summary, ReservedAndInvalidNamesThrow) {
  std::string message =
      construction_error({.name = "q", .labelnames = {"quantile"}, .registry = &registry});
  EXPECT_TRUE(contains(message, "'q'") && contains(message, "'quantile'")) << message;
  message = construction_error({.name = "q", .labelnames = {"__x"}, .registry = &registry});
  EXPECT_TRUE(contains(message, "'q'") && contains(message, "__x")) << message;
  message = construction_error({.name = "q.x", .registry = &registry});
  EXPECT_TRUE(contains(message, "'q.x'")) << message;
  // `le` is only reserved for histograms.
  metrics::Summary le{
      {.name = "le", .documentation = "d", .labelnames = {"le"}, .registry = &registry}};
  le.labels({"x"}).observe(1);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "le_count{le=\"x\"} 1.0"));
}

TEST_F(Summary, DuplicateNamesAndDefaultRegistry) {
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  EXPECT_NE(construction_error({.name = "s", .registry = &registry}), "no exception");
  EXPECT_THROW(metrics::Gauge({.name = "s_count", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "s_sum", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "s_created", .registry = &registry}), metrics::Error);
  metrics::Summary in_default{{.name = "summary_test_default_registry", .documentation = "d"}};
  in_default.observe(4);
  EXPECT_TRUE(has_line(metrics::generate_latest(), "summary_test_default_registry_sum 4.0"));
  EXPECT_TRUE(metrics::default_registry().unregister("summary_test_default_registry"));
}
