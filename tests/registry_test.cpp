#include "bentoml/metrics/registry.hpp"

#include <gtest/gtest.h>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;

TEST(Registry, RejectsDuplicateNamesWithAClearMessage) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "x", .documentation = "d", .registry = &registry}};
  try {
    metrics::Gauge gauge{{.name = "x_total", .documentation = "d", .registry = &registry}};
    FAIL();
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "x_total")) << error.what();
    EXPECT_TRUE(contains(error.what(), "duplicate")) << error.what();
  }
  EXPECT_THROW(metrics::Counter({.name = "x", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Histogram({.name = "x", .registry = &registry}), metrics::Error);
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  EXPECT_THROW(metrics::Gauge({.name = "h_bucket", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Summary({.name = "h", .registry = &registry}), metrics::Error);
  metrics::Registry other;  // the same name in another registry is fine
  metrics::Counter elsewhere{{.name = "x", .documentation = "d", .registry = &other}};
}

TEST(Registry, RejectsInvalidNames) {
  metrics::Registry registry;
  for (const char* name : {"", "1abc", "a-b", "a b", "é"}) {
    EXPECT_THROW(metrics::Counter({.name = name, .registry = &registry}), metrics::Error) << name;
  }
  metrics::Gauge colon{{.name = "a:b_c", .documentation = "d", .registry = &registry}};
  for (const char* label : {"1a", "a-b", "__reserved", ""}) {
    EXPECT_THROW(metrics::Gauge({.name = "g", .labelnames = {label}, .registry = &registry}),
                 metrics::Error)
        << label;
  }
  EXPECT_THROW(metrics::Gauge({.name = "g", .labelnames = {"a", "a"}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "g", .namespace_ = "bad-ns", .registry = &registry}),
               metrics::Error);
}

TEST(Registry, UnregisterRemovesFromExpositionAndFreesTheName) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc();
  EXPECT_TRUE(registry.unregister("c"));
  EXPECT_FALSE(registry.unregister("c"));
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "c_total"));
  counter.inc();  // the handle keeps working
  EXPECT_EQ(counter.value(), 2);
  metrics::Gauge reused{{.name = "c", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "# TYPE c gauge"));
}

TEST(Registry, KeepsMetricsAfterTheirHandlesAreGoneInRegistrationOrder) {
  metrics::Registry registry;
  {
    metrics::Counter first{{.name = "b_first", .documentation = "d", .registry = &registry}};
    first.inc(3);
    metrics::Gauge second{{.name = "a_second", .documentation = "d", .registry = &registry}};
  }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(contains(text, "b_first_total 3.0"));
  EXPECT_LT(text.find("b_first"), text.find("a_second"));
}
