#include "bentoml/metrics/timer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::has_line;

static_assert(std::is_nothrow_move_constructible_v<metrics::Timer>);
static_assert(!std::is_copy_constructible_v<metrics::Timer>);
static_assert(!std::is_move_assignable_v<metrics::Timer>);
static_assert(std::is_nothrow_move_constructible_v<metrics::InProgress>);
static_assert(!std::is_copy_constructible_v<metrics::InProgress>);

namespace {

/// What a Timer or InProgress reported, in order.
struct Recorder {
  std::vector<double> values;
  static void record(void* target, double value) noexcept {
    static_cast<Recorder*>(target)->values.push_back(value);
  }
};

}  // namespace

TEST(Timer, RecordsOnceAtScopeEnd) {
  Recorder recorder;
  {
    metrics::Timer timer(&Recorder::record, &recorder);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GE(timer.elapsed(), 0.009);
    EXPECT_TRUE(recorder.values.empty());
  }
  ASSERT_EQ(recorder.values.size(), 1u);
  EXPECT_GE(recorder.values[0], 0.009);
  EXPECT_LT(recorder.values[0], 5);
}

TEST(Timer, ObserveNowRecordsEarlyAndOnlyOnce) {
  Recorder recorder;
  {
    metrics::Timer timer(&Recorder::record, &recorder);
    timer.observe_now();
    timer.observe_now();
    EXPECT_EQ(recorder.values.size(), 1u);
  }
  EXPECT_EQ(recorder.values.size(), 1u);
}

TEST(Timer, MovingHandsThePendingRecordOver) {
  Recorder recorder;
  {
    metrics::Timer first(&Recorder::record, &recorder);
    {
      metrics::Timer second(std::move(first));
      EXPECT_TRUE(recorder.values.empty());
    }
    EXPECT_EQ(recorder.values.size(), 1u);  // recorded when `second` ended
  }
  EXPECT_EQ(recorder.values.size(), 1u);  // the moved-from timer records nothing
}

TEST(InProgress, AddsOneAndTakesItBack) {
  Recorder recorder;
  {
    metrics::InProgress scope(&Recorder::record, &recorder);
    EXPECT_EQ(recorder.values, (std::vector<double>{1}));
    metrics::InProgress moved(std::move(scope));
    EXPECT_EQ(recorder.values, (std::vector<double>{1}));
  }
  EXPECT_EQ(recorder.values, (std::vector<double>{1, -1}));
}

TEST(Timer, MetricTimersReturnedFromFunctionsRecordOnce) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {10}, .registry = &registry}};
  const auto start = [&histogram] { return histogram.time(); };  // moved out of the function
  { auto timer = start(); }
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  {
    auto timer = summary.time();
    auto taken = std::move(timer);
  }
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "h_count 1.0")) << text;
  EXPECT_TRUE(has_line(text, "s_count 1.0")) << text;
}
