#include "bentoml/metrics/collector.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;

namespace {

using metrics::testing::kInf;

/// One family of each kind, with escaping, units and _created (the same families as
/// prometheus_client 0.16 builds from CounterMetricFamily & co.; expected text below is its
/// output).
std::vector<metrics::MetricFamily> every_kind() {
  std::vector<metrics::MetricFamily> families;
  metrics::CounterMetricFamily jobs("jobs_total", "Jobs \"done\"\nback\\slash", {"queue"});
  jobs.add_metric({"a\"b\\c\nd"}, 5, 1700000000.5);
  jobs.add_metric({"x"}, 1e20);
  families.push_back(std::move(jobs));
  metrics::GaugeMetricFamily temp("temp", "Temperature", {"room", "floor"}, "celsius");
  temp.add_metric({"k", "2"}, -1.5);
  families.push_back(std::move(temp));
  metrics::HistogramMetricFamily lat("lat", "Latency", {"path"}, "seconds");
  lat.add_metric({"/"}, {{0.5, 1}, {1.0, 3}, {kInf, 4}}, 2.25);
  families.push_back(std::move(lat));
  metrics::SummaryMetricFamily size("size", "Size", {"k"});
  size.add_metric({"v"}, 3, 7.5);
  families.push_back(std::move(size));
  metrics::InfoMetricFamily build("build", "Build", {"env"});
  build.add_metric({"prod"}, {{"version", "1.2"}, {"commit", "abc"}});
  families.push_back(std::move(build));
  metrics::StateSetMetricFamily state("state", "State", {"svc"});
  state.add_metric({"api"}, {{"up", true}, {"down", false}});
  families.push_back(std::move(state));
  metrics::MetricFamily misc("misc", "Misc", metrics::FamilyType::unknown);
  misc.add_sample("misc", {}, 2);
  families.push_back(std::move(misc));
  return families;
}

constexpr const char* kEveryKindText = R"(# HELP jobs_total Jobs "done"\nback\\slash
# TYPE jobs_total counter
jobs_total{queue="a\"b\\c\nd"} 5.0
jobs_total{queue="x"} 1e+20
# HELP jobs_created Jobs "done"\nback\\slash
# TYPE jobs_created gauge
jobs_created{queue="a\"b\\c\nd"} 1.7000000005e+09
# HELP temp_celsius Temperature
# TYPE temp_celsius gauge
temp_celsius{floor="2",room="k"} -1.5
# HELP lat_seconds Latency
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.5",path="/"} 1.0
lat_seconds_bucket{le="1.0",path="/"} 3.0
lat_seconds_bucket{le="+Inf",path="/"} 4.0
lat_seconds_count{path="/"} 4.0
lat_seconds_sum{path="/"} 2.25
# HELP size Size
# TYPE size summary
size_count{k="v"} 3.0
size_sum{k="v"} 7.5
# HELP build_info Build
# TYPE build_info gauge
build_info{commit="abc",env="prod",version="1.2"} 1.0
# HELP state State
# TYPE state gauge
state{state="down",svc="api"} 0.0
state{state="up",svc="api"} 1.0
# HELP misc Misc
# TYPE misc untyped
misc 2.0
)";

constexpr const char* kEveryKindOpenMetrics = R"(# HELP jobs Jobs \"done\"\nback\\slash
# TYPE jobs counter
jobs_total{queue="a\"b\\c\nd"} 5.0
jobs_created{queue="a\"b\\c\nd"} 1.7000000005e+09
jobs_total{queue="x"} 1e+20
# HELP temp_celsius Temperature
# TYPE temp_celsius gauge
# UNIT temp_celsius celsius
temp_celsius{floor="2",room="k"} -1.5
# HELP lat_seconds Latency
# TYPE lat_seconds histogram
# UNIT lat_seconds seconds
lat_seconds_bucket{le="0.5",path="/"} 1.0
lat_seconds_bucket{le="1.0",path="/"} 3.0
lat_seconds_bucket{le="+Inf",path="/"} 4.0
lat_seconds_count{path="/"} 4.0
lat_seconds_sum{path="/"} 2.25
# HELP size Size
# TYPE size summary
size_count{k="v"} 3.0
size_sum{k="v"} 7.5
# HELP build Build
# TYPE build info
build_info{commit="abc",env="prod",version="1.2"} 1.0
# HELP state State
# TYPE state stateset
state{state="down",svc="api"} 0.0
state{state="up",svc="api"} 1.0
# HELP misc Misc
# TYPE misc unknown
misc 2.0
# EOF
)";

std::vector<metrics::MetricFamily> one_gauge(const std::string& name, double value) {
  metrics::GaugeMetricFamily gauge(name, "help");
  gauge.add_metric({}, value);
  return {gauge};
}

}  // namespace

TEST(Collector, WritesEveryKindAsPrometheusClientDoes) {
  metrics::testing::enable_created_series();
  metrics::Registry registry;
  registry.register_collector(metrics::make_collector(every_kind));
  EXPECT_EQ(metrics::generate_latest(registry), kEveryKindText);
  EXPECT_EQ(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
            kEveryKindOpenMetrics);
}

TEST(Collector, CreatedSwitchAppliesToCollectorsToo) {
  metrics::Registry registry;
  registry.register_collector(metrics::make_collector(every_kind));
  metrics::disable_created_metrics();
  const std::string text = metrics::generate_latest(registry);
  const std::string open = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  metrics::testing::enable_created_series();
  EXPECT_FALSE(contains(text, "created")) << text;
  EXPECT_FALSE(contains(open, "created")) << open;
}

TEST(Collector, CollectsAtEveryScrapeInRegistrationOrder) {
  metrics::Registry registry;
  metrics::Gauge before{{.name = "before", .documentation = "b", .registry = &registry}};
  auto calls = std::make_shared<std::atomic<int>>(0);
  registry.register_collector(metrics::make_collector(
      [calls] { return one_gauge("calls", static_cast<double>(++*calls)); }));
  metrics::Gauge after{{.name = "after", .documentation = "a", .registry = &registry}};
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "calls 1.0\n"));
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(contains(text, "calls 2.0\n")) << text;
  EXPECT_LT(text.find("before 0.0"), text.find("calls 2.0"));
  EXPECT_LT(text.find("calls 2.0"), text.find("after 0.0"));
  auto exposition = metrics::testing::parse_exposition(
      metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
      metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(exposition.error.empty()) << exposition.error;
}

TEST(Collector, BadOutputDropsOnlyThatCollectorAndIsLoggedOnce) {
  struct Case {
    const char* what;
    std::vector<metrics::MetricFamily> (*collect)();
    const char* message;
  };
  const Case cases[] = {
      {"bad family name", [] { return one_gauge("1bad", 1); }, "invalid metric name"},
      {"foreign sample",
       [] {
         metrics::MetricFamily family("fam", "h", metrics::FamilyType::counter);
         family.add_sample("fam_total", {}, 1);
         family.add_sample("other_total", {}, 1);
         return std::vector<metrics::MetricFamily>{family};
       },
       "'other_total' does not belong"},
      {"gauge sample with a suffix",
       [] {
         metrics::MetricFamily family("fam", "h", metrics::FamilyType::gauge);
         family.add_sample("fam_total", {}, 1);
         return std::vector<metrics::MetricFamily>{family};
       },
       "does not belong"},
      {"bad label name",
       [] {
         metrics::MetricFamily family("fam", "h", metrics::FamilyType::gauge);
         family.add_sample("fam", {{"a-b", "v"}}, 1);
         return std::vector<metrics::MetricFamily>{family};
       },
       "invalid label name 'a-b'"},
      {"label twice",
       [] {
         metrics::MetricFamily family("fam", "h", metrics::FamilyType::gauge);
         family.add_sample("fam", {{"a", "1"}, {"a", "2"}}, 1);
         return std::vector<metrics::MetricFamily>{family};
       },
       "label 'a' twice"},
      {"bucket without le",
       [] {
         metrics::MetricFamily family("fam", "h", metrics::FamilyType::histogram);
         family.add_sample("fam_bucket", {}, 1);
         return std::vector<metrics::MetricFamily>{family};
       },
       "no 'le' label"},
      {"info with a unit",
       [] {
         return std::vector<metrics::MetricFamily>{
             metrics::MetricFamily("fam", "h", metrics::FamilyType::info, "bytes")};
       },
       "cannot have a unit"},
      {"throws", []() -> std::vector<metrics::MetricFamily> { throw std::runtime_error("boom"); },
       "collect() threw: boom"},
      {"throws an int", []() -> std::vector<metrics::MetricFamily> { throw 42; },
       "not a std::exception"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.what);
    metrics::Registry registry;
    metrics::Counter kept{{.name = "kept", .documentation = "k", .registry = &registry}};
    registry.register_collector(
        metrics::make_collector([] { return one_gauge("good_before", 1); }));
    // A valid family first in the bad collector: none of its output may be written.
    registry.register_collector(metrics::make_collector([&test] {
      std::vector<metrics::MetricFamily> families = one_gauge("partial", 1);
      for (auto& family : test.collect()) families.push_back(std::move(family));
      return families;
    }));
    registry.register_collector(metrics::make_collector([] { return one_gauge("good_after", 1); }));
    ::testing::internal::CaptureStderr();
    const std::string text = metrics::generate_latest(registry);
    const std::string open = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
    const std::string log = ::testing::internal::GetCapturedStderr();
    for (const std::string& out : {text, open}) {
      EXPECT_TRUE(contains(out, "kept_total 0.0\n")) << out;
      EXPECT_TRUE(contains(out, "good_before 1.0\n")) << out;
      EXPECT_TRUE(contains(out, "good_after 1.0\n")) << out;
      EXPECT_FALSE(contains(out, "partial")) << out;
      EXPECT_FALSE(contains(out, "fam")) << out;
    }
    EXPECT_EQ(metrics::testing::parse_exposition(open, metrics::Format::openmetrics_1_0_0).error,
              "");
    EXPECT_TRUE(contains(log, test.message)) << log;
    EXPECT_EQ(log.find("bentoml-metrics:"), log.rfind("bentoml-metrics:")) << log;  // once
  }
}

TEST(Collector, DescribedNamesAreCheckedAtRegistration) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "taken", .documentation = "t", .registry = &registry}};
  auto clash = metrics::make_collector(
      [] { return one_gauge("x", 1); },
      [] {
        return std::vector<metrics::MetricFamily>{
            metrics::CounterMetricFamily("taken_created", "described")};  // claims taken_created
      });
  EXPECT_NO_THROW(registry.register_collector(clash));  // taken_created is not the gauge's
  auto counter = metrics::make_collector(
      [] { return one_gauge("y", 1); },
      [] {
        return std::vector<metrics::MetricFamily>{metrics::CounterMetricFamily("taken", "d")};
      });
  EXPECT_THROW(registry.register_collector(counter), metrics::Error);
  // A built-in metric cannot take a described name either.
  EXPECT_THROW(metrics::Gauge({.name = "taken_created_total", .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(registry.register_collector(clash), metrics::Error);  // registered already
  EXPECT_THROW(registry.register_collector(nullptr), metrics::Error);
  EXPECT_THROW(metrics::make_collector(nullptr), metrics::Error);
}

TEST(Collector, UnregisterRemovesItFromTheScrape) {
  metrics::Registry registry;
  auto collector = metrics::make_collector([] { return one_gauge("mine", 3); });
  registry.register_collector(collector);
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "mine 3.0\n"));
  EXPECT_FALSE(registry.unregister(""));  // a collector has no name to unregister by
  EXPECT_TRUE(registry.unregister(*collector));
  EXPECT_FALSE(registry.unregister(*collector));
  EXPECT_EQ(metrics::generate_latest(registry), "");
  registry.register_collector(collector);  // and back
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "mine 3.0\n"));
}

TEST(Collector, FamilyHelpersFollowPrometheusClient) {
  metrics::CounterMetricFamily counter("c_total", "d", {}, "bytes");
  EXPECT_EQ(counter.name(), "c_bytes");
  metrics::GaugeMetricFamily gauge("g_bytes", "d", {}, "bytes");
  EXPECT_EQ(gauge.name(), "g_bytes");  // already ends with the unit
  EXPECT_THROW(gauge.add_metric({"one too many"}, 1), metrics::Error);
  metrics::HistogramMetricFamily negative("h", "d");
  negative.add_metric({}, {{-1, 1}, {kInf, 2}}, 0.5);
  ASSERT_EQ(negative.samples().size(), 2U);  // no _count and _sum with a negative bucket
  EXPECT_EQ(negative.samples()[0].labels, (metrics::SampleLabels{{"le", "-1.0"}}));
  EXPECT_EQ(negative.samples()[1].labels, (metrics::SampleLabels{{"le", "+Inf"}}));
}

TEST(Collector, ConcurrentRegistrationsOfOneCollectorRegisterItOnce) {
  // Two threads register the same collector at once, many times over: exactly one of each pair
  // succeeds and the other is told it is already registered.
  for (int round = 0; round < 200; ++round) {
    metrics::Registry registry;
    auto collector = metrics::make_collector([] { return std::vector<metrics::MetricFamily>{}; });
    std::atomic<int> registered{0};
    std::atomic<int> refused{0};
    std::atomic<int> ready{0};
    auto attempt = [&] {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      try {
        registry.register_collector(collector);
        registered.fetch_add(1);
      } catch (const metrics::Error& error) {
        EXPECT_TRUE(contains(error.what(), "already registered")) << error.what();
        refused.fetch_add(1);
      }
    };
    std::thread first(attempt);
    std::thread second(attempt);
    first.join();
    second.join();
    ASSERT_EQ(registered.load(), 1) << "round " << round;
    ASSERT_EQ(refused.load(), 1) << "round " << round;
    EXPECT_TRUE(registry.unregister(*collector));
    EXPECT_FALSE(registry.unregister(*collector));
  }
}
