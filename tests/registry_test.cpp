#include "bentoml/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;

static_assert(std::is_default_constructible_v<metrics::Registry>);
static_assert(!std::is_copy_constructible_v<metrics::Registry>);
static_assert(!std::is_copy_assignable_v<metrics::Registry>);

namespace {

using metrics::testing::error_of;

}  // namespace

TEST(Registry, RejectsDuplicateNamesWithAClearMessage) {
  metrics::testing::enable_created_series();
  metrics::Registry registry;
  metrics::Counter counter{{.name = "x", .documentation = "d", .registry = &registry}};
  std::string message = error_of(
      [&] { metrics::Gauge({.name = "x_total", .documentation = "d", .registry = &registry}); });
  EXPECT_TRUE(contains(message, "x_total")) << message;
  EXPECT_TRUE(contains(message, "duplicate")) << message;
  EXPECT_TRUE(contains(message, "'x'")) << message;  // the metric already holding the name
  EXPECT_THROW(metrics::Counter({.name = "x", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Counter({.name = "x_total", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "x", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "x_created", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Histogram({.name = "x", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Summary({.name = "x", .registry = &registry}), metrics::Error);
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .registry = &registry}};
  for (const char* taken : {"h", "h_bucket", "h_count", "h_sum", "h_created"}) {
    EXPECT_THROW(metrics::Gauge({.name = taken, .registry = &registry}), metrics::Error) << taken;
  }
  EXPECT_THROW(metrics::Summary({.name = "h", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Counter({.name = "h_count", .registry = &registry}), metrics::Error);
  // A gauge first, then a counter whose name without _total is the gauge's.
  metrics::Gauge gauge{{.name = "y", .documentation = "d", .registry = &registry}};
  EXPECT_THROW(metrics::Counter({.name = "y_total", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Counter({.name = "y", .registry = &registry}), metrics::Error);
  // The same name in another registry is fine.
  metrics::Registry other;
  metrics::Counter elsewhere{{.name = "x", .documentation = "d", .registry = &other}};
  // Failed registrations left nothing behind.
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "# TYPE"), 5) << text;
}

TEST(Registry, NamesThatOnlyLookAlikeAreDistinct) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "a", .documentation = "d", .registry = &registry}};
  metrics::Gauge total{{.name = "a_totals", .documentation = "d", .registry = &registry}};
  metrics::Gauge bucket{{.name = "a_bucket", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{{.name = "b", .documentation = "d", .registry = &registry}};
  metrics::Gauge b_total{{.name = "b_total", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "# TYPE b_total gauge"));
}

TEST(Registry, RejectsInvalidNames) {
  metrics::Registry registry;
  for (const char* name : {"", "1abc", "a-b", "a b", "é", "a.b", "a{b}"}) {
    const std::string message =
        error_of([&] { metrics::Counter({.name = name, .registry = &registry}); });
    EXPECT_NE(message, "no exception") << name;
    if (*name != '\0') {
      EXPECT_TRUE(contains(message, name)) << message;
    }
  }
  metrics::Gauge colon{{.name = "a:b_c", .documentation = "d", .registry = &registry}};
  metrics::Gauge leading{{.name = "_a", .documentation = "d", .registry = &registry}};
  metrics::Gauge reserved_metric{{.name = "__a", .documentation = "d", .registry = &registry}};
  for (const char* label : {"1a", "a-b", "__reserved", "__", "", "a:b", "é"}) {
    const std::string message = error_of(
        [&] { metrics::Gauge({.name = "g", .labelnames = {label}, .registry = &registry}); });
    EXPECT_TRUE(contains(message, "'g'")) << label << ": " << message;
  }
  metrics::Gauge underscore{
      {.name = "u", .documentation = "d", .labelnames = {"_a", "a_"}, .registry = &registry}};
  EXPECT_THROW(metrics::Gauge({.name = "g", .labelnames = {"a", "a"}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "g", .namespace_ = "bad-ns", .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "g", .namespace_ = "9ns", .registry = &registry}),
               metrics::Error);
}

TEST(Registry, UnregisterRemovesFromExpositionAndFreesTheName) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Gauge stays{{.name = "stays", .documentation = "d", .registry = &registry}};
  counter.inc();
  EXPECT_FALSE(registry.unregister("missing"));
  EXPECT_TRUE(registry.unregister("c"));
  EXPECT_FALSE(registry.unregister("c"));
  std::string text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "c_total")) << text;
  EXPECT_FALSE(contains(text, "c_created")) << text;
  EXPECT_TRUE(has_line(text, "stays 0.0"));
  counter.inc();  // the handle keeps working
  EXPECT_EQ(counter.value(), 2);
  metrics::Gauge reused{{.name = "c", .documentation = "d", .registry = &registry}};
  reused.set(9);
  text = metrics::generate_latest(registry);
  EXPECT_TRUE(contains(text, "# TYPE c gauge"));
  EXPECT_TRUE(has_line(text, "c 9.0"));
  EXPECT_LT(text.find("stays"), text.find("# TYPE c gauge"));  // re-registered: now last
  EXPECT_FALSE(contains(text, "c_total"));
  EXPECT_TRUE(registry.unregister("c"));  // unregisters the gauge
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "# TYPE c "));
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
  // The name stays taken: the registry still holds the metric.
  EXPECT_THROW(metrics::Counter({.name = "b_first", .registry = &registry}), metrics::Error);
}

TEST(Registry, HandlesOutliveTheirRegistry) {
  std::optional<metrics::Counter> counter;
  std::optional<metrics::Histogram> histogram;
  {
    metrics::Registry registry;
    counter.emplace(metrics::Counter::Options{
        .name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry});
    histogram.emplace(
        metrics::Histogram::Options{.name = "h", .documentation = "d", .registry = &registry});
    counter->labels({"x"}).inc();
  }
  counter->labels({"x"}).inc();
  counter->labels({"y"}).inc();
  histogram->observe(1);
  EXPECT_EQ(counter->labels({"x"}).value(), 2);
}

TEST(Registry, DefaultRegistryIsOneObject) {
  EXPECT_EQ(&metrics::default_registry(), &metrics::default_registry());
  metrics::Gauge gauge{{.name = "registry_test_default", .documentation = "d"}};
  gauge.set(2);
  // The same output but the process metrics (registered there too), which change by themselves.
  const auto without_process = [](const std::string& text) {
    std::string kept;
    for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
      end = text.find('\n', start);
      const std::string line = text.substr(start, end - start);
      if (!contains(line, "process_")) kept += line + "\n";
    }
    return kept;
  };
  EXPECT_EQ(without_process(metrics::generate_latest()),
            without_process(metrics::generate_latest(metrics::default_registry())));
  EXPECT_TRUE(has_line(metrics::generate_latest(), "registry_test_default 2.0"));
  EXPECT_TRUE(metrics::default_registry().unregister("registry_test_default"));
}
