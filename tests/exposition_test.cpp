#include "bentoml/metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;

TEST(Exposition, OpenMetricsFamiliesCreatedInlineAndEofLast) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "requests",
                            .documentation = "Requests",
                            .labelnames = {"code"},
                            .registry = &registry}};
  counter.labels({"200"}).inc();
  metrics::Gauge gauge{
      {.name = "temperature", .documentation = "T", .unit = "celsius", .registry = &registry}};
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# HELP requests Requests"));
  EXPECT_TRUE(has_line(om, "# TYPE requests counter"));
  EXPECT_TRUE(has_line(om, "requests_total{code=\"200\"} 1.0"));
  EXPECT_LT(om.find("requests_total{"), om.find("requests_created{code=\"200\"} "));
  EXPECT_TRUE(has_line(om, "# TYPE temperature_celsius gauge"));
  EXPECT_TRUE(has_line(om, "# UNIT temperature_celsius celsius"));
  ASSERT_GE(om.size(), 6u);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "# EOF"));
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "# UNIT"));
}

TEST(Exposition, EscapesHelpAndLabelValues) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g",
                        .documentation = "back\\slash\nnew \"quoted\"",
                        .labelnames = {"v"},
                        .registry = &registry}};
  gauge.labels({"a\\b\"c\nd"}).set(1);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "# HELP g back\\\\slash\\nnew \"quoted\"")) << text;
  EXPECT_TRUE(has_line(text, "g{v=\"a\\\\b\\\"c\\nd\"} 1.0")) << text;
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# HELP g back\\\\slash\\nnew \\\"quoted\\\"")) << om;
}

TEST(Exposition, CreatedSeriesFollowTheEnvironmentSwitch) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  ::setenv("PROMETHEUS_DISABLE_CREATED_SERIES", "True", 1);
  const std::string text = metrics::generate_latest(registry);
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  ::unsetenv("PROMETHEUS_DISABLE_CREATED_SERIES");
  EXPECT_FALSE(contains(text, "_created"));
  EXPECT_FALSE(contains(om, "_created"));
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "c_created"));
  ::setenv("PROMETHEUS_DISABLE_CREATED_SERIES", "no", 1);
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "h_created"));
  ::unsetenv("PROMETHEUS_DISABLE_CREATED_SERIES");
}

TEST(Exposition, NegotiatesTheFormatFromAccept) {
  using metrics::Format;
  EXPECT_EQ(metrics::negotiate_format(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::openmetrics_1_0_0);
  EXPECT_EQ(metrics::negotiate_format("text/plain;version=0.0.4"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format(""), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("*/*"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text;q=0"), Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format("application/openmetrics-text;version=0.0.1"),
            Format::text_0_0_4);
  EXPECT_EQ(metrics::negotiate_format(
                "text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5"),
            Format::text_0_0_4);
  EXPECT_EQ(metrics::content_type(Format::text_0_0_4), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics::content_type(Format::openmetrics_1_0_0),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

TEST(Exposition, WritesSeveralRegistriesWithOneEof) {
  metrics::Registry first;
  metrics::Registry second;
  metrics::Gauge a{{.name = "a", .documentation = "d", .registry = &first}};
  metrics::Gauge b{{.name = "b", .documentation = "d", .registry = &second}};
  std::string out = "prefix\n";
  metrics::write_latest(out, {&first, &second}, metrics::Format::openmetrics_1_0_0);
  EXPECT_EQ(out.find("prefix\n"), 0u);  // appends
  EXPECT_LT(out.find("# TYPE a gauge"), out.find("# TYPE b gauge"));
  EXPECT_EQ(out.find("# EOF"), out.rfind("# EOF"));
}

TEST(Exposition, EmptyHelpAndLabelledMetricWithoutChildren) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .labelnames = {"l"}, .registry = &registry}};
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(text, "# HELP c_total \n# TYPE c_total counter\n");
}
