#include "bentoml/metrics/enum.hpp"

#include <gtest/gtest.h>

#include <string>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;

TEST(Enum, StartsInTheFirstStateAndWritesEveryState) {
  metrics::Registry registry;
  metrics::Enum task{{.name = "task",
                      .documentation = "Task state",
                      .states = {"starting", "running"},
                      .registry = &registry}};
  EXPECT_EQ(task.value(), "starting");
  task.state("running");
  EXPECT_EQ(task.value(), "running");
  EXPECT_EQ(metrics::generate_latest(registry),
            "# HELP task Task state\n# TYPE task gauge\n"
            "task{task=\"starting\"} 0.0\ntask{task=\"running\"} 1.0\n");
  EXPECT_EQ(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
            "# HELP task Task state\n# TYPE task stateset\n"
            "task{task=\"starting\"} 0.0\ntask{task=\"running\"} 1.0\n# EOF\n");
}

TEST(Enum, LabelledChildrenSortTheStateLabelAmongTheirs) {
  metrics::Registry registry;
  metrics::Enum worker{{.name = "m",
                        .documentation = "d",
                        .labelnames = {"z", "a"},
                        .states = {"idle", "busy\"q"},
                        .registry = &registry}};
  worker.labels({"1", "2"}).state("busy\"q");
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(contains(text, "m{a=\"2\",m=\"idle\",z=\"1\"} 0.0\n")) << text;
  EXPECT_TRUE(contains(text, "m{a=\"2\",m=\"busy\\\"q\",z=\"1\"} 1.0\n")) << text;
}

TEST(Enum, RejectsBadStatesAndOptions) {
  metrics::Registry registry;
  metrics::Enum e{{.name = "e", .documentation = "d", .states = {"a", "b"}, .registry = &registry}};
  EXPECT_THROW(e.state("c"), metrics::Error);
  EXPECT_EQ(e.value(), "a");
  EXPECT_THROW(metrics::Enum({.name = "none", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Enum({.name = "twice", .states = {"a", "a"}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(
      metrics::Enum(
          {.name = "self", .labelnames = {"self"}, .states = {"a"}, .registry = &registry}),
      metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "e", .registry = &registry}), metrics::Error);
}
