#include "bentoml/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::Format;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::parse_exposition;

namespace {

class Exposition : public metrics::testing::RegistryTest {
 protected:
  void TearDown() override { metrics::testing::enable_created_series(); }

  /// One metric of each type, with labels, recorded into.
  void populate() {
    counter.labels({"200"}).inc(3);
    gauge.set(21.5);
    histogram.labels({"/"}).observe(0.3);
    summary.observe(2);
  }

  metrics::Counter counter{{.name = "requests",
                            .documentation = "Requests",
                            .labelnames = {"code"},
                            .registry = &registry}};
  metrics::Gauge gauge{
      {.name = "temperature", .documentation = "T", .unit = "celsius", .registry = &registry}};
  metrics::Histogram histogram{{.name = "latency",
                                .documentation = "L",
                                .labelnames = {"route"},
                                .buckets = {0.5, 1},
                                .registry = &registry}};
  metrics::Summary summary{{.name = "payload", .documentation = "P", .registry = &registry}};
};

}  // namespace

TEST_F(Exposition, TextFormatParsesBackWithCreatedFamiliesAfterEachMetric) {
  populate();
  const std::string text = metrics::generate_latest(registry);
  const auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.error, "") << text;
  EXPECT_EQ(parsed.types.at("requests_total"), "counter");
  EXPECT_EQ(parsed.types.at("requests_created"), "gauge");
  EXPECT_EQ(parsed.types.at("temperature_celsius"), "gauge");
  EXPECT_EQ(parsed.types.at("latency"), "histogram");
  EXPECT_EQ(parsed.types.at("latency_created"), "gauge");
  EXPECT_EQ(parsed.types.at("payload"), "summary");
  EXPECT_EQ(parsed.types.at("payload_created"), "gauge");
  EXPECT_EQ(parsed.types.size(), 7u);
  EXPECT_EQ(parsed.value("requests_total", {{"code", "200"}}), 3);
  EXPECT_EQ(parsed.value("temperature_celsius"), 21.5);
  EXPECT_EQ(parsed.value("latency_bucket", {{"route", "/"}, {"le", "0.5"}}), 1);
  EXPECT_EQ(parsed.value("latency_sum", {{"route", "/"}}), 0.3);
  EXPECT_EQ(parsed.value("payload_count"), 1);
  EXPECT_FALSE(contains(text, "# EOF"));
  EXPECT_FALSE(contains(text, "# UNIT"));
  // Families in registration order, each _created family right after its metric.
  EXPECT_LT(text.find("# TYPE requests_total"), text.find("# TYPE requests_created"));
  EXPECT_LT(text.find("# TYPE requests_created"), text.find("# TYPE temperature_celsius"));
  EXPECT_LT(text.find("# TYPE latency_created"), text.find("# TYPE payload summary"));
}

TEST_F(Exposition, OpenMetricsFamiliesCreatedInlineAndEofLast) {
  populate();
  const std::string om = metrics::generate_latest(registry, Format::openmetrics_1_0_0);
  const auto parsed = parse_exposition(om, Format::openmetrics_1_0_0);
  ASSERT_EQ(parsed.error, "") << om;
  EXPECT_TRUE(parsed.eof);
  EXPECT_TRUE(has_line(om, "# HELP requests Requests"));
  EXPECT_TRUE(has_line(om, "# TYPE requests counter"));  // the family name has no _total
  EXPECT_EQ(parsed.types.count("requests_total"), 0u);
  EXPECT_EQ(parsed.types.size(), 4u);  // no separate _created families
  EXPECT_TRUE(has_line(om, "requests_total{code=\"200\"} 3.0"));
  // _created right after the child's _total line.
  const std::size_t total = om.find("requests_total{code=\"200\"} 3.0\n");
  EXPECT_EQ(om.find("requests_created{code=\"200\"} "), om.find('\n', total) + 1) << om;
  EXPECT_EQ(parsed.find("latency_created", {{"route", "/"}}).size(), 1u);
  EXPECT_EQ(parsed.find("payload_created").size(), 1u);
  EXPECT_TRUE(has_line(om, "# TYPE temperature_celsius gauge"));
  EXPECT_TRUE(has_line(om, "# UNIT temperature_celsius celsius"));
  ASSERT_GE(om.size(), 6u);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
  EXPECT_EQ(om.find("# EOF"), om.rfind("# EOF"));
}

TEST_F(Exposition, EmptyRegistries) {
  metrics::Registry empty;
  EXPECT_EQ(metrics::generate_latest(empty), "");
  EXPECT_EQ(metrics::generate_latest(empty, Format::openmetrics_1_0_0), "# EOF\n");
}

TEST_F(Exposition, EscapesHelpAndLabelValues) {
  metrics::Gauge escaped{{.name = "g",
                          .documentation = "back\\slash\nnew \"quoted\"",
                          .labelnames = {"v"},
                          .registry = &registry}};
  escaped.labels({"a\\b\"c\nd"}).set(1);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "# HELP g back\\\\slash\\nnew \"quoted\"")) << text;
  EXPECT_TRUE(has_line(text, "g{v=\"a\\\\b\\\"c\\nd\"} 1.0")) << text;
  const std::string om = metrics::generate_latest(registry, Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# HELP g back\\\\slash\\nnew \\\"quoted\\\"")) << om;
  EXPECT_TRUE(has_line(om, "g{v=\"a\\\\b\\\"c\\nd\"} 1.0")) << om;
  EXPECT_EQ(parse_exposition(om, Format::openmetrics_1_0_0).value("g", {{"v", "a\\b\"c\nd"}}), 1);
}

TEST_F(Exposition, CreatedSeriesFollowTheRunTimeSwitch) {
  populate();
  metrics::disable_created_metrics();
  EXPECT_FALSE(metrics::created_metrics_enabled());
  const std::string text = metrics::generate_latest(registry);
  const std::string om = metrics::generate_latest(registry, Format::openmetrics_1_0_0);
  EXPECT_FALSE(contains(text, "_created")) << text;
  EXPECT_FALSE(contains(om, "_created")) << om;
  EXPECT_EQ(parse_exposition(text).error, "");
  EXPECT_EQ(parse_exposition(om, Format::openmetrics_1_0_0).error, "");
  EXPECT_TRUE(has_line(text, "requests_total{code=\"200\"} 3.0"));
  EXPECT_TRUE(has_line(om, "payload_count 1.0"));
  metrics::enable_created_metrics();
  EXPECT_TRUE(metrics::created_metrics_enabled());
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "requests_created{code=\"200\"}"));
  EXPECT_TRUE(contains(metrics::generate_latest(registry, Format::openmetrics_1_0_0),
                       "latency_created{route=\"/\"}"));
}

// The environment is read once, when the library is loaded (as prometheus_client reads it at
// import; the values it accepts are compared with Python's rule by compare_with_python.py):
// changing it later changes nothing, and a scrape never calls getenv(), which would race with
// a concurrent setenv() (a crash seen in 5 of 8 runs when it did).
TEST_F(Exposition, CreatedSeriesIgnoreLaterEnvironmentChanges) {
  populate();
  metrics::enable_created_metrics();
  std::atomic<bool> stop{false};
  std::thread environment_writer([&stop] {
    for (int i = 0; !stop.load(); ++i) {
      // New names grow the environment array, so that getenv() elsewhere would read freed memory.
      ::setenv(("BENTOML_METRICS_TEST_VARIABLE_" + std::to_string(i % 4096)).c_str(), "x", 1);
      ::setenv("PROMETHEUS_DISABLE_CREATED_SERIES", i % 2 == 0 ? "true" : "false", 1);
    }
  });
  for (int scrape = 0; scrape < 300; ++scrape) {
    ASSERT_TRUE(contains(metrics::generate_latest(registry), "requests_created{code=\"200\"}"));
  }
  stop = true;
  environment_writer.join();
  ::unsetenv("PROMETHEUS_DISABLE_CREATED_SERIES");
}

TEST(Negotiation, PicksTheFormatFromAccept) {
  // Prometheus 2.42's scrape Accept header.
  EXPECT_EQ(metrics::negotiate_format(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text"), Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("Application/OpenMetrics-Text;Version=1.0.0"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("text/plain;version=0.0.4"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("text/plain"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format(""), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("*/*"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/json"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text;q=0"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text;version=1.0.0;q=0"),
            Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text;version=0.0.1"),
            Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format(
                "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5"),
            Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format(
                "text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.9"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format(" text/plain ; q=0.2 , application/openmetrics-text ; q=0.3"),
            Format::openmetrics_1_0_0);
}

TEST(Negotiation, ContentTypes) {
  EXPECT_EQ(metrics::content_type(Format::text_0_0_4), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics::content_type(Format::openmetrics_1_0_0),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST_F(Exposition, WritesSeveralRegistriesWithOneEof) {
  metrics::Registry first;
  metrics::Registry second;
  metrics::Gauge a{{.name = "a", .documentation = "d", .registry = &first}};
  metrics::Gauge b{{.name = "b", .documentation = "d", .registry = &second}};
  std::string out = "prefix\n";
  metrics::write_latest(out, {&first, &second}, Format::openmetrics_1_0_0);
  EXPECT_EQ(out,
            "prefix\n# HELP a d\n# TYPE a gauge\na 0.0\n# HELP b d\n# TYPE b gauge\nb 0.0\n"
            "# EOF\n");
  std::string text;
  metrics::write_latest(text, first, Format::text_0_0_4);
  metrics::write_latest(text, second, Format::text_0_0_4);  // appends
  EXPECT_EQ(text, "# HELP a d\n# TYPE a gauge\na 0.0\n# HELP b d\n# TYPE b gauge\nb 0.0\n");
}

TEST_F(Exposition, EmptyHelpAndLabelledMetricWithoutChildren) {
  metrics::Registry local;
  metrics::Counter without_help{{.name = "c", .labelnames = {"l"}, .registry = &local}};
  EXPECT_EQ(metrics::generate_latest(local), "# HELP c_total \n# TYPE c_total counter\n");
  EXPECT_EQ(metrics::generate_latest(local, Format::openmetrics_1_0_0),
            "# HELP c \n# TYPE c counter\n# EOF\n");
}
