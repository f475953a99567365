#include "bentoml/metrics/gauge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <utility>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::sample_value;

namespace {

class Gauge : public metrics::testing::RegistryTest {};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_F(Gauge, IncDecSetAndExactExposition) {
  metrics::Gauge gauge{{.name = "g", .documentation = "Help", .registry = &registry}};
  EXPECT_EQ(metrics::generate_latest(registry), "# HELP g Help\n# TYPE g gauge\ng 0.0\n");
  gauge.inc();
  gauge.inc(2.5);
  gauge.dec();
  gauge.dec(0.5);
  EXPECT_EQ(gauge.value(), 2);
  gauge.dec(5);
  EXPECT_EQ(gauge.value(), -3);  // a gauge may go below zero
  gauge.inc(-1);                 // and inc takes negative amounts
  EXPECT_EQ(gauge.value(), -4);
  gauge.set(-7.25);
  // A gauge has no _created series.
  EXPECT_EQ(metrics::generate_latest(registry), "# HELP g Help\n# TYPE g gauge\ng -7.25\n");
  EXPECT_EQ(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
            "# HELP g Help\n# TYPE g gauge\ng -7.25\n# EOF\n");
}

TEST_F(Gauge, SpecialValuesUseGoSpelling) {
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

TEST_F(Gauge, SetToCurrentTime) {
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  metrics::Gauge plain{{.name = "p", .documentation = "d", .registry = &registry}};
  const double before = unix_now();
  gauge.labels({"x"}).set_to_current_time();
  plain.set_to_current_time();
  const double after = unix_now();
  EXPECT_GE(gauge.labels({"x"}).value(), before);
  EXPECT_LE(gauge.labels({"x"}).value(), after);
  EXPECT_GE(plain.value(), before);
  EXPECT_LE(plain.value(), after);
}

TEST_F(Gauge, TrackInprogressCountsTheScope) {
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  {
    auto outer = gauge.track_inprogress();
    auto inner = gauge.track_inprogress();
    EXPECT_EQ(gauge.value(), 2);
    EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 2.0"));
    auto moved = std::move(inner);  // moving does not count twice
    EXPECT_EQ(gauge.value(), 2);
  }
  EXPECT_EQ(gauge.value(), 0);
  metrics::Gauge labelled{
      {.name = "l", .documentation = "d", .labelnames = {"op"}, .registry = &registry}};
  {
    auto scope = labelled.labels({"read"}).track_inprogress();
    EXPECT_EQ(labelled.labels({"read"}).value(), 1);
    EXPECT_EQ(labelled.labels({"write"}).value(), 0);
  }
  EXPECT_EQ(labelled.labels({"read"}).value(), 0);
}

TEST_F(Gauge, TimeSetsTheDuration) {
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  gauge.set(100);
  {
    auto timer = gauge.time();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(gauge.value(), 0.019);  // set, not added to the 100 that was there
  EXPECT_LT(gauge.value(), 5);
  metrics::Gauge labelled{
      {.name = "l", .documentation = "d", .labelnames = {"op"}, .registry = &registry}};
  {
    auto timer = labelled.labels({"x"}).time();
    timer.observe_now();
    const double first = labelled.labels({"x"}).value();
    EXPECT_GE(first, 0);
    labelled.labels({"x"}).set(-1);
  }
  EXPECT_EQ(labelled.labels({"x"}).value(), -1);  // observe_now() set it once; the end did not
}

TEST_F(Gauge, SetFunctionIsCalledAtScrape) {
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  int calls = 0;
  gauge.set_function([&calls] { return static_cast<double>(++calls) * 10; });
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 10.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 20.0"));
  EXPECT_EQ(gauge.value(), 30);  // value() reports the function too
  gauge.set(5);                  // the function still wins, as in Python
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "g 40.0"));
  gauge.set_function([] { return 1.5; });  // replacing is allowed
  EXPECT_EQ(sample_value(metrics::generate_latest(registry), "g"), 1.5);
  metrics::Gauge labelled{
      {.name = "l", .documentation = "d", .labelnames = {"k"}, .registry = &registry}};
  labelled.labels({"f"}).set_function([] { return 42.0; });
  labelled.labels({"v"}).set(1);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "l{k=\"f\"} 42.0")) << text;
  EXPECT_TRUE(has_line(text, "l{k=\"v\"} 1.0")) << text;
}

TEST_F(Gauge, LabelledChildrenAndErrors) {
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"a", "b"}, .registry = &registry}};
  gauge.labels({"1", "2"}).set(3);
  EXPECT_EQ(gauge.labels({{"b", "2"}, {"a", "1"}}).value(), 3);
  EXPECT_THROW(gauge.set(1), metrics::Error);
  EXPECT_THROW(gauge.inc(), metrics::Error);
  EXPECT_THROW(gauge.dec(), metrics::Error);
  EXPECT_THROW(gauge.set_to_current_time(), metrics::Error);
  EXPECT_THROW((void)gauge.track_inprogress(), metrics::Error);
  EXPECT_THROW((void)gauge.time(), metrics::Error);
  EXPECT_THROW(gauge.set_function([] { return 1.0; }), metrics::Error);
  EXPECT_THROW((void)gauge.value(), metrics::Error);
  EXPECT_THROW(gauge.labels({"1"}), metrics::Error);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g{a=\"1\",b=\"2\"} 3.0"));
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "g{"), 1) << text;
}

TEST_F(Gauge, OptionsAreJoinedAndValidated) {
  metrics::Gauge gauge{{.name = "temp",
                        .documentation = "d",
                        .namespace_ = "app",
                        .subsystem = "gpu",
                        .unit = "celsius",
                        .registry = &registry}};
  EXPECT_EQ(gauge.name(), "app_gpu_temp_celsius");
  gauge.set(61.5);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "app_gpu_temp_celsius 61.5"));
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# UNIT app_gpu_temp_celsius celsius")) << om;
  metrics::Gauge total{{.name = "in_total", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(total.name(), "in_total");  // only counters drop _total
  EXPECT_THROW(metrics::Gauge({.name = "g-1", .registry = &registry}), metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "g", .labelnames = {"__x"}, .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Gauge({.name = "temp",
                               .namespace_ = "app",
                               .subsystem = "gpu",
                               .unit = "celsius",
                               .registry = &registry}),
               metrics::Error);  // duplicate of the first
}

TEST_F(Gauge, NullRegistryMeansTheDefaultRegistry) {
  metrics::Gauge gauge{{.name = "gauge_test_default_registry", .documentation = "d"}};
  gauge.set(3);
  EXPECT_TRUE(has_line(metrics::generate_latest(), "gauge_test_default_registry 3.0"));
  EXPECT_TRUE(metrics::default_registry().unregister("gauge_test_default_registry"));
  EXPECT_FALSE(contains(metrics::generate_latest(), "gauge_test_default_registry"));
}

TEST_F(Gauge, RemoveAndClear) {
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto a = gauge.labels({"a"});
  a.set(1);
  gauge.labels({"b"}).set(2);
  gauge.remove({"a"});
  std::string text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "l=\"a\"")) << text;
  EXPECT_TRUE(has_line(text, "g{l=\"b\"} 2.0"));
  a.set(10);  // the handle stays valid
  gauge.clear();
  EXPECT_EQ(metrics::generate_latest(registry), "# HELP g d\n# TYPE g gauge\n");
  gauge.labels({"a"}).inc();
  text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g{l=\"a\"} 11.0")) << text;
  EXPECT_FALSE(contains(text, "l=\"b\""));
}

namespace {
/// Counts the live copies of a function object, so a test can see when replaced ones are freed.
struct CountedFunction {
  static inline std::atomic<int> live{0};
  double value;
  explicit CountedFunction(double v) : value(v) { ++live; }
  CountedFunction(const CountedFunction& other) : value(other.value) { ++live; }
  CountedFunction(CountedFunction&& other) noexcept : value(other.value) { ++live; }
  CountedFunction& operator=(const CountedFunction&) = default;
  CountedFunction& operator=(CountedFunction&&) = default;
  ~CountedFunction() { --live; }
  double operator()() const { return value; }
};
}  // namespace

// A loop that keeps replacing a gauge's function must not grow memory: a replaced function is
// freed once no scrape can be calling it.
TEST_F(Gauge, ReplacedFunctionsAreFreed) {
  {
    metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
    for (int i = 0; i < 10000; ++i) {
      gauge.set_function(CountedFunction(i));
      if (i % 1000 == 0) {
        EXPECT_EQ(sample_value(metrics::generate_latest(registry), "g"), i);
      }
    }
    EXPECT_LE(CountedFunction::live.load(), 2);  // the current one (and at most one retired)
    EXPECT_EQ(gauge.value(), 9999);
  }
  registry.unregister("g");
}

// The same while another thread scrapes all the time: retired functions may wait for a scrape to
// finish, but never pile up, and a scrape never calls a freed one (AddressSanitizer would say).
TEST_F(Gauge, ReplacedFunctionsAreFreedWhileScrapesRun) {
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  gauge.set_function(CountedFunction(0));
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop.load()) (void)metrics::generate_latest(registry);
  });
  int most_alive = 0;
  for (int i = 1; i <= 20000; ++i) {
    gauge.set_function(CountedFunction(i));
    most_alive = std::max(most_alive, CountedFunction::live.load());
  }
  stop = true;
  scraper.join();
  gauge.set_function(CountedFunction(-1));  // with no scrape running: frees every retired one
  EXPECT_LE(CountedFunction::live.load(), 1);
  // Retired functions are freed whenever a setter finds no scrape calling one; a scraper
  // preempted mid-call (a loaded machine, a sanitizer) delays that, so the bound is against
  // never freeing while scrapes run (which would keep all 20,000), not a timing figure.
  EXPECT_LT(most_alive, 10000);
}
