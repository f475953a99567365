#include "bentoml/metrics/info.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(Info, WritesInfoLabelsAsPrometheusClientDoes) {
  metrics::Registry registry;
  metrics::Info build{{.name = "build", .documentation = "Build", .registry = &registry}};
  EXPECT_EQ(metrics::generate_latest(registry),
            "# HELP build_info Build\n# TYPE build_info gauge\nbuild_info 1.0\n");
  build.info({{"version", "1.2"}, {"commit", "a\"b"}});
  EXPECT_EQ(build.value(), (Pairs{{"commit", "a\"b"}, {"version", "1.2"}}));
  EXPECT_EQ(metrics::generate_latest(registry),
            "# HELP build_info Build\n# TYPE build_info gauge\n"
            "build_info{commit=\"a\\\"b\",version=\"1.2\"} 1.0\n");
  EXPECT_EQ(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
            "# HELP build Build\n# TYPE build info\n"
            "build_info{commit=\"a\\\"b\",version=\"1.2\"} 1.0\n# EOF\n");
  build.info(Pairs{{"version", "2"}});  // replaces, does not merge
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "build_info{version=\"2\"} 1.0\n"));
}

TEST(Info, LabelledChildrenSortInfoAmongTheirLabels) {
  metrics::Registry registry;
  metrics::Info runner{{.name = "runner",
                        .documentation = "R",
                        .labelnames = {"m"},
                        .namespace_ = "svc",
                        .registry = &registry}};
  runner.labels({"x"}).info({{"z", "1"}, {"a", "2"}});
  EXPECT_TRUE(contains(metrics::generate_latest(registry),
                       "svc_runner_info{a=\"2\",m=\"x\",z=\"1\"} 1.0\n"));
  runner.remove({"x"});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "svc_runner_info{"));
}

TEST(Info, RejectsBadInfoAndChangesNothing) {
  metrics::Registry registry;
  metrics::Info info{
      {.name = "i", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto child = info.labels({"v"});
  child.info({{"ok", "1"}});
  EXPECT_THROW(child.info({{"l", "overlaps a label name"}}), metrics::Error);
  EXPECT_THROW(child.info({{"bad-name", "x"}}), metrics::Error);
  EXPECT_THROW(child.info({{"__reserved", "x"}}), metrics::Error);
  EXPECT_THROW(child.info({{"a", "1"}, {"a", "2"}}), metrics::Error);
  EXPECT_EQ(child.value(), (Pairs{{"ok", "1"}}));
  EXPECT_THROW(info.info({{"a", "1"}}), metrics::Error);  // has labels
  // The name claims <name>_info, as in prometheus_client.
  EXPECT_THROW(metrics::Gauge({.name = "i_info", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Info({.name = "bad name", .registry = &registry}), metrics::Error);
}

TEST(Info, ScrapesSeeWholeRecordsWhileInfoChanges) {
  metrics::Registry registry;
  metrics::Info info{{.name = "changing", .documentation = "d", .registry = &registry}};
  std::thread writer([&info] {
    for (int i = 0; i < 2000; ++i) {
      const std::string value = std::to_string(i % 7);
      info.info({{"a", value}, {"b", value}});
    }
  });
  for (int i = 0; i < 200; ++i) {
    const std::string text = metrics::generate_latest(registry);
    const auto exposition = metrics::testing::parse_exposition(text);
    ASSERT_EQ(exposition.error, "");
    ASSERT_EQ(exposition.samples.size(), 1U);
    const auto& labels = exposition.samples[0].labels;
    if (!labels.empty()) {
      EXPECT_EQ(labels.at("a"), labels.at("b")) << text;
    }
  }
  writer.join();
}
