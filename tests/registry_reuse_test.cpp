// Registry: a metric constructed again with an identical definition is the same metric; any
// other use of a taken name throws, naming both definitions; Registry::Options::reuse_identical
// = false keeps Python's strictness; unregister() takes a counter's name with or without _total.
#include <gtest/gtest.h>

#include <string>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::lines_starting_with;

namespace {

using metrics::testing::error_of;

/// A metric defined inside a function, as C++ code often does: constructed on every call.
void count_request(metrics::Registry& registry) {
  metrics::Counter requests{{.name = "requests",
                             .documentation = "Requests served",
                             .labelnames = {"code"},
                             .registry = &registry}};
  requests.labels({"200"}).inc();
}

}  // namespace

TEST(RegistryReuse, AnIdenticalCounterIsTheSameMetric) {
  metrics::Registry registry;
  metrics::Counter first{{.name = "hits", .documentation = "Hits", .registry = &registry}};
  metrics::Counter second{{.name = "hits", .documentation = "Hits", .registry = &registry}};
  // A counter's `_total` is dropped from its name, so this is the same definition too.
  metrics::Counter third{{.name = "hits_total", .documentation = "Hits", .registry = &registry}};
  first.inc();
  second.inc(2);
  third.inc(4);
  EXPECT_EQ(first.value(), 7);
  EXPECT_EQ(second.value(), 7);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(lines_starting_with(text, "# TYPE hits_total counter"), 1) << text;
  EXPECT_TRUE(has_line(text, "hits_total 7.0")) << text;
}

TEST(RegistryReuse, AFunctionLocalMetricConstructedOnEveryCallKeepsCounting) {
  metrics::Registry registry;
  for (int call = 0; call < 3; ++call) count_request(registry);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "requests_total{code=\"200\"} 3.0")) << text;
  EXPECT_EQ(lines_starting_with(text, "# HELP requests_total"), 1) << text;
}

TEST(RegistryReuse, EveryTypeIsReusedWithItsChildren) {
  metrics::Registry registry;
  const metrics::Gauge::Options gauge{.name = "g",
                                      .documentation = "d",
                                      .labelnames = {"a", "b"},
                                      .unit = "bytes",
                                      .registry = &registry};
  metrics::Gauge gauge_one{gauge};
  metrics::Gauge gauge_two{gauge};
  gauge_one.labels({"x", "y"}).set(5);
  EXPECT_EQ(gauge_two.labels({{"b", "y"}, {"a", "x"}}).value(), 5);

  // No buckets means the default buckets: the same definition as naming them.
  metrics::Histogram histogram_one{{.name = "h", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram_two{{.name = "h",
                                    .documentation = "d",
                                    .buckets = metrics::default_buckets(),
                                    .registry = &registry}};
  histogram_one.observe(0.3);
  histogram_two.observe(0.4);
  metrics::Summary summary_one{{.name = "s", .documentation = "d", .registry = &registry}};
  metrics::Summary summary_two{{.name = "s", .documentation = "d", .registry = &registry}};
  summary_one.observe(1);
  summary_two.observe(2);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g_bytes{a=\"x\",b=\"y\"} 5.0")) << text;
  EXPECT_TRUE(has_line(text, "h_count 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum 3.0")) << text;
  for (const char* type : {"# TYPE g_bytes gauge", "# TYPE h histogram", "# TYPE s summary"}) {
    EXPECT_EQ(lines_starting_with(text, type), 1) << text;
  }
}

TEST(RegistryReuse, TheJoinedNameIsWhatCounts) {
  // namespace_subsystem_name: two spellings of the same metric are the same metric.
  metrics::Registry registry;
  metrics::Gauge joined{{.name = "gpu_temp", .documentation = "d", .registry = &registry}};
  metrics::Gauge parts{
      {.name = "temp", .documentation = "d", .namespace_ = "gpu", .registry = &registry}};
  joined.set(3);
  EXPECT_EQ(parts.value(), 3);
}

TEST(RegistryReuse, ADifferentDefinitionThrowsNamingBothAndWhatDiffers) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "latency",
                                .documentation = "Latency",
                                .labelnames = {"route", "code"},
                                .unit = "seconds",
                                .buckets = {0.5, 1},
                                .registry = &registry}};
  const auto redeclare = [&](metrics::Histogram::Options options) {
    return error_of([&] { metrics::Histogram{options}; });
  };
  const metrics::Histogram::Options same{.name = "latency",
                                         .documentation = "Latency",
                                         .labelnames = {"route", "code"},
                                         .unit = "seconds",
                                         .buckets = {0.5, 1},
                                         .registry = &registry};
  EXPECT_EQ(redeclare(same), "no exception");

  metrics::Histogram::Options documentation = same;
  documentation.documentation = "Other";
  std::string message = redeclare(documentation);
  EXPECT_TRUE(contains(message, "'latency_seconds'")) << message;
  EXPECT_TRUE(contains(message, "differ in documentation;")) << message;
  EXPECT_TRUE(contains(message,
                       "registered: histogram 'latency_seconds' (documentation "
                       "\"Latency\", labelnames [route, code], unit \"seconds\", "
                       "buckets [0.5, 1.0, +Inf])"))
      << message;
  EXPECT_TRUE(contains(message, "new: histogram 'latency_seconds' (documentation \"Other\""))
      << message;

  metrics::Histogram::Options order = same;
  order.labelnames = {"code", "route"};  // positional labels() would mean something else
  EXPECT_TRUE(contains(redeclare(order), "differ in labelnames;"));
  metrics::Histogram::Options fewer = same;
  fewer.labelnames = {"route"};
  EXPECT_TRUE(contains(redeclare(fewer), "differ in labelnames;"));
  metrics::Histogram::Options buckets = same;
  buckets.buckets = {0.5, 2};
  message = redeclare(buckets);
  EXPECT_TRUE(contains(message, "differ in buckets;")) << message;
  EXPECT_TRUE(contains(message,
                       "new: histogram 'latency_seconds' (documentation \"Latency\", "
                       "labelnames [route, code], unit \"seconds\", buckets [0.5, 2.0, "
                       "+Inf])"))
      << message;
  // Same joined name, but the unit is a separate field shown in OpenMetrics' # UNIT.
  metrics::Histogram::Options unit = same;
  unit.name = "latency_seconds";
  unit.unit = "";
  EXPECT_TRUE(contains(redeclare(unit), "differ in unit;"));
  metrics::Histogram::Options several = same;
  several.documentation = "";
  several.labelnames = {};
  EXPECT_TRUE(contains(redeclare(several), "differ in documentation, labelnames;"));

  // Another type under the same name.
  message = error_of([&] {
    metrics::Summary({.name = "latency",
                      .documentation = "Latency",
                      .labelnames = {"route", "code"},
                      .unit = "seconds",
                      .registry = &registry});
  });
  EXPECT_TRUE(contains(message, "differ in type;")) << message;
  EXPECT_TRUE(contains(message, "new: summary 'latency_seconds'")) << message;
  // A name another metric's samples use.
  message = error_of([&] {
    metrics::Gauge({.name = "latency_seconds_count", .documentation = "d", .registry = &registry});
  });
  EXPECT_TRUE(contains(message, "duplicate name 'latency_seconds_count'")) << message;
  EXPECT_TRUE(contains(message, "differ in name, type, documentation, labelnames, unit;"))
      << message;
  // Nothing of the rejected definitions was registered; the histogram kept its one series.
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(lines_starting_with(text, "# TYPE"), 1) << text;
  EXPECT_EQ(histogram.buckets().size(), 3U);
}

TEST(RegistryReuse, PythonsStrictnessIsAnOption) {
  metrics::Registry strict{metrics::Registry::Options{.reuse_identical = false}};
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &strict}};
  const std::string message =
      error_of([&] { metrics::Counter({.name = "c", .documentation = "d", .registry = &strict}); });
  EXPECT_TRUE(contains(message, "duplicate name 'c'")) << message;
  EXPECT_TRUE(contains(message, "identical")) << message;
  EXPECT_TRUE(contains(message, "reuse_identical = false")) << message;
  EXPECT_THROW(metrics::Counter({.name = "c_total", .documentation = "d", .registry = &strict}),
               metrics::Error);
  // A different definition still names what differs.
  EXPECT_TRUE(contains(
      error_of([&] { metrics::Counter({.name = "c", .documentation = "e", .registry = &strict}); }),
      "differ in documentation"));
  metrics::Registry reusing{metrics::Registry::Options{}};
  metrics::Counter one{{.name = "c", .documentation = "d", .registry = &reusing}};
  metrics::Counter two{{.name = "c", .documentation = "d", .registry = &reusing}};
  one.inc();
  EXPECT_EQ(two.value(), 1);
}

TEST(RegistryReuse, TheDefaultRegistryReusesIdenticalMetrics) {
  metrics::Counter first{{.name = "registry_reuse_default", .documentation = "d"}};
  metrics::Counter second{{.name = "registry_reuse_default", .documentation = "d"}};
  first.inc();
  EXPECT_EQ(second.value(), 1);
  EXPECT_TRUE(metrics::default_registry().unregister("registry_reuse_default"));
}

TEST(RegistryReuse, UnregisterTakesTheNameAsWritten) {
  metrics::Registry registry;
  metrics::Counter hits{{.name = "hits", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(registry.unregister("hits_total"));
  EXPECT_FALSE(registry.unregister("hits"));
  metrics::Counter again{{.name = "hits", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(registry.unregister("hits"));
  EXPECT_FALSE(registry.unregister("hits_total"));
  // Only a counter's samples end in _total; other suffixes name nothing.
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  metrics::Counter counter{{.name = "k", .documentation = "d", .registry = &registry}};
  for (const char* name : {"g_total", "h_total", "h_bucket", "h_count", "k_created", "k_", "k_tot",
                           "hits_total_total"}) {
    EXPECT_FALSE(registry.unregister(name)) << name;
  }
  EXPECT_TRUE(registry.unregister("g"));
  EXPECT_TRUE(registry.unregister("h"));
  EXPECT_TRUE(registry.unregister("k_total"));
  EXPECT_EQ(metrics::generate_latest(registry), "");
}

TEST(RegistryReuse, AnUnregisteredMetricIsNotReused) {
  metrics::Registry registry;
  metrics::Counter old{{.name = "c", .documentation = "d", .registry = &registry}};
  old.inc(5);
  ASSERT_TRUE(registry.unregister("c"));
  metrics::Counter fresh{{.name = "c", .documentation = "d", .registry = &registry}};
  fresh.inc();
  EXPECT_EQ(old.value(), 5);
  EXPECT_EQ(fresh.value(), 1);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total 1.0"));
}
