// Compiled twice: as C++20 (in unit_tests) and as C++17 (labels_cxx17_tests). It therefore sets
// Options fields by assignment instead of designated initializers.
#include "bentoml/metrics/labels.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <type_traits>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;

// A value converts from one string-like argument only; a pair needs exactly two.
static_assert(std::is_convertible_v<const char*, metrics::LabelValue>);
static_assert(std::is_convertible_v<std::string, metrics::LabelValue>);
static_assert(std::is_convertible_v<std::string_view, metrics::LabelValue>);
static_assert(!std::is_constructible_v<metrics::LabelValue, const char*, const char*>);
static_assert(!std::is_convertible_v<const char*, metrics::LabelPair>);
static_assert(std::is_constructible_v<metrics::LabelPair, const char*, const char*>);

namespace {
metrics::Counter make_counter(metrics::Registry& registry) {
  metrics::Counter::Options options;
  options.name = "c";
  options.documentation = "d";
  options.labelnames = {"torch_version", "device_id"};
  options.registry = &registry;
  return metrics::Counter(options);
}
}  // namespace

TEST(Labels, ByPositionAndByNameReachTheSameChild) {
  metrics::Registry registry;
  auto counter = make_counter(registry);
  counter.labels({"2.1.0", "cuda:0"}).inc();
  counter.labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}}).inc();
  counter.labels({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}).inc();
  const std::string version = "2.1.0";
  const std::string_view device = "cuda:0";
  counter.labels({version, device}).inc();
  EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), 4);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(
      metrics::testing::has_line(text, "c_total{device_id=\"cuda:0\",torch_version=\"2.1.0\"} 4.0"))
      << text;
  // Two values are two labels, never one string built from an iterator pair.
  EXPECT_FALSE(contains(text, "2.1.0cuda"));
}

TEST(Labels, DistinctValuesAreDistinctChildren) {
  metrics::Registry registry;
  auto counter = make_counter(registry);
  counter.labels({"a", "bc"}).inc();
  counter.labels({"ab", "c"}).inc(2);
  counter.labels({"", "abc"}).inc(3);
  counter.labels({"a long value beyond eight bytes", "x"}).inc(4);
  EXPECT_EQ(counter.labels({"a", "bc"}).value(), 1);
  EXPECT_EQ(counter.labels({"ab", "c"}).value(), 2);
  EXPECT_EQ(counter.labels({"", "abc"}).value(), 3);
  EXPECT_EQ(counter.labels({"a long value beyond eight bytes", "x"}).value(), 4);
  EXPECT_EQ(counter.labels({"a long value beyond eight byteS", "x"}).value(), 0);
}

TEST(Labels, ManyChildrenSurviveTableGrowth) {
  metrics::Registry registry;
  auto counter = make_counter(registry);
  for (int i = 0; i < 5000; ++i) counter.labels({std::to_string(i), "d"}).inc(i);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(counter.labels({std::to_string(i), "d"}).value(), i) << i;
  }
}

TEST(Labels, WrongCountUnknownOrRepeatedNamesThrowNamingTheMetric) {
  metrics::Registry registry;
  auto counter = make_counter(registry);
  try {
    counter.labels({"only one"});
    FAIL();
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "'c'")) << error.what();
    EXPECT_TRUE(contains(error.what(), "torch_version, device_id")) << error.what();
  }
  EXPECT_THROW(counter.labels({"a", "b", "c"}), metrics::Error);
  EXPECT_THROW(counter.labels({{"torch_version", "a"}, {"device", "b"}}), metrics::Error);
  EXPECT_THROW(counter.labels({{"torch_version", "a"}, {"torch_version", "b"}}), metrics::Error);
  EXPECT_THROW(counter.labels({{"torch_version", "a"}}), metrics::Error);
}

TEST(Labels, UnicodeValuesAreKeptAsBytes) {
  metrics::Registry registry;
  auto counter = make_counter(registry);
  counter.labels({"ünïcødé", "设备"}).inc();
  EXPECT_TRUE(contains(metrics::generate_latest(registry),
                       "c_total{device_id=\"设备\",torch_version=\"ünïcødé\"} 1.0"));
}
