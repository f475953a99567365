#include "bentoml/metrics/gauge.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::has_line;
using metrics::testing::sample_value;

TEST(Gauge, IncDecSet) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  gauge.inc();
  gauge.inc(2.5);
  gauge.dec();
  gauge.dec(0.5);
  EXPECT_EQ(gauge.value(), 2);
  gauge.set(-7.25);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g -7.25"));
  EXPECT_FALSE(metrics::testing::contains(metrics::generate_latest(registry), "g_created"));
}

TEST(Gauge, SpecialValuesUseGoSpelling) {
  metrics::Registry registry;
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"v"}, .registry = &registry}};
  gauge.labels({"nan"}).set(std::nan(""));
  gauge.labels({"inf"}).set(INFINITY);
  gauge.labels({"-inf"}).set(-INFINITY);
  gauge.labels({"big"}).set(1234567.0);
  gauge.labels({"tiny"}).set(0.00001);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g{v=\"nan\"} NaN"));
  EXPECT_TRUE(has_line(text, "g{v=\"inf\"} +Inf"));
  EXPECT_TRUE(has_line(text, "g{v=\"-inf\"} -Inf"));
  EXPECT_TRUE(has_line(text, "g{v=\"big\"} 1.234567e+06"));
  EXPECT_TRUE(has_line(text, "g{v=\"tiny\"} 1e-05"));
}

TEST(Gauge, SetToCurrentTime) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  gauge.set_to_current_time();
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(gauge.value(), now, 5);
}

TEST(Gauge, TrackInprogressCountsTheScope) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  {
    auto outer = gauge.track_inprogress();
    auto inner = gauge.track_inprogress();
    EXPECT_EQ(gauge.value(), 2);
  }
  EXPECT_EQ(gauge.value(), 0);
}

TEST(Gauge, TimeSetsTheDuration) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  {
    auto timer = gauge.time();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(gauge.value(), 0.019);
  EXPECT_LT(gauge.value(), 5);
}

TEST(Gauge, SetFunctionIsCalledAtScrape) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  int calls = 0;
  gauge.set_function([&calls] { return static_cast<double>(++calls) * 10; });
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 10.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 20.0"));
  gauge.set_function([] { return 1.5; });  // replacing is allowed
  EXPECT_EQ(sample_value(metrics::generate_latest(registry), "g"), 1.5);
}

TEST(Gauge, LabelledChildrenAndErrors) {
  metrics::Registry registry;
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"a", "b"}, .registry = &registry}};
  gauge.labels({"1", "2"}).set(3);
  EXPECT_EQ(gauge.labels({{"b", "2"}, {"a", "1"}}).value(), 3);
  EXPECT_THROW(gauge.set(1), metrics::Error);
  EXPECT_THROW(gauge.labels({"1"}), metrics::Error);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g{a=\"1\",b=\"2\"} 3.0"));
}
