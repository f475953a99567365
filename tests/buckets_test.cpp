#include "bentoml/metrics/buckets.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;

namespace {

using metrics::testing::kInf;
const double kNaN = std::nan("");

using metrics::testing::error_of;

}  // namespace

static_assert(metrics::kMaxGeneratedBuckets == 100);

TEST(ExponentialBuckets, BentoMlGuideBucketsAreRepeatedMultiplicationThenEndThenInf) {
  const auto buckets = metrics::exponential_buckets(0.001, 1.5, 10.0);
  ASSERT_EQ(buckets.size(), 25u);
  double bound = 0.001;
  for (std::size_t i = 0; i < 23; ++i) {
    EXPECT_EQ(buckets[i], bound) << i;  // bit-identical to Python's repeated multiplication
    bound *= 1.5;
  }
  EXPECT_GE(bound, 10.0);  // the next one would not be below end
  EXPECT_EQ(buckets[23], 10.0);
  EXPECT_EQ(buckets[24], kInf);
  EXPECT_EQ(buckets[1], 0.0015);
  EXPECT_EQ(buckets[2], 0.0022500000000000003);
}

TEST(ExponentialBuckets, EndIsAppendedEvenWhenAGeneratedBoundHitsIt) {
  // 1, 2, 4 are below 8; 8 itself is not generated (not below end) but appended once.
  EXPECT_EQ(metrics::exponential_buckets(1, 2, 8), (std::vector<double>{1, 2, 4, 8, kInf}));
  EXPECT_EQ(metrics::exponential_buckets(1, 2, 9), (std::vector<double>{1, 2, 4, 8, 9, kInf}));
  EXPECT_EQ(metrics::exponential_buckets(1, 10, 2), (std::vector<double>{1, 2, kInf}));
}

TEST(ExponentialBuckets, CapsGeneratedBoundsAtOneHundred) {
  const auto buckets = metrics::exponential_buckets(1e-300, 1.01, 1e300);
  ASSERT_EQ(buckets.size(), 102u);
  double bound = 1e-300;
  for (std::size_t i = 0; i < 100; ++i, bound *= 1.01) ASSERT_EQ(buckets[i], bound) << i;
  EXPECT_EQ(buckets[100], 1e300);
  EXPECT_EQ(buckets[101], kInf);
  // Exactly 100 below end: no cap needed, same shape.
  EXPECT_EQ(metrics::exponential_buckets(1, 2, std::ldexp(1.0, 100)).size(), 102u);
  EXPECT_EQ(metrics::exponential_buckets(1, 2, std::ldexp(1.0, 99)).size(), 101u);
}

TEST(ExponentialBuckets, RejectsInvalidArgumentsWithAMessage) {
  const auto invalid = [](double start, double factor, double end) {
    return error_of([&] { metrics::exponential_buckets(start, factor, end); });
  };
  EXPECT_NE(invalid(0, 1.5, 10).find("start"), std::string::npos);
  EXPECT_NE(invalid(-1, 1.5, 10).find("start"), std::string::npos);
  EXPECT_NE(invalid(1, 1.0, 10).find("factor"), std::string::npos);
  EXPECT_NE(invalid(1, 0.5, 10).find("factor"), std::string::npos);
  EXPECT_NE(invalid(1, -2, 10).find("factor"), std::string::npos);
  EXPECT_NE(invalid(10, 1.5, 10).find("end"), std::string::npos);
  EXPECT_NE(invalid(10, 1.5, 1).find("end"), std::string::npos);
  for (const std::string& message :
       {invalid(1, 1.5, kInf), invalid(kNaN, 1.5, 10), invalid(1, kNaN, 10), invalid(1, 1.5, kNaN),
        invalid(kInf, 2, kInf), invalid(-kInf, 2, 1)}) {
    EXPECT_NE(message, "no exception");
    EXPECT_NE(message.find("exponential_buckets"), std::string::npos) << message;
  }
}

TEST(LinearBuckets, RepeatedAdditionThenEndThenInf) {
  const auto buckets = metrics::linear_buckets(0.1, 0.1, 0.5);
  // 0.1, 0.2, 0.30000000000000004, 0.4 (the next sum is 0.5, not below end), then end, +Inf:
  // the bounds Python's repeated addition gives.
  std::vector<double> expected;
  for (double bound = 0.1; bound < 0.5; bound += 0.1) expected.push_back(bound);
  expected.push_back(0.5);
  expected.push_back(kInf);
  EXPECT_EQ(buckets, expected);
  EXPECT_EQ(buckets.size(), 6u);
  EXPECT_EQ(buckets[2], 0.1 + 0.1 + 0.1);
  EXPECT_EQ(metrics::linear_buckets(1, 1, 3), (std::vector<double>{1, 2, 3, kInf}));
  EXPECT_EQ(metrics::linear_buckets(1, 5, 3), (std::vector<double>{1, 3, kInf}));
}

TEST(LinearBuckets, CapsGeneratedBoundsAtOneHundred) {
  const auto buckets = metrics::linear_buckets(1, 1, 1000);
  ASSERT_EQ(buckets.size(), 102u);
  for (std::size_t i = 0; i < 100; ++i) ASSERT_EQ(buckets[i], static_cast<double>(i + 1));
  EXPECT_EQ(buckets[100], 1000);
  EXPECT_EQ(buckets[101], kInf);
}

TEST(LinearBuckets, RejectsInvalidArgumentsWithAMessage) {
  const auto invalid = [](double start, double step, double end) {
    return error_of([&] { metrics::linear_buckets(start, step, end); });
  };
  EXPECT_NE(invalid(0, 0.1, 1).find("start"), std::string::npos);
  EXPECT_NE(invalid(-1, 1, 5).find("start"), std::string::npos);
  EXPECT_NE(invalid(1, 0, 2).find("step"), std::string::npos);
  EXPECT_NE(invalid(1, -1, 2).find("step"), std::string::npos);
  EXPECT_NE(invalid(1, 1, 1).find("end"), std::string::npos);
  EXPECT_NE(invalid(2, 1, 1).find("end"), std::string::npos);
  for (const std::string& message : {invalid(1, 1, kInf), invalid(kNaN, 1, 2), invalid(1, kNaN, 2),
                                     invalid(1, 1, kNaN), invalid(kInf, 1, kInf)}) {
    EXPECT_NE(message, "no exception");
    EXPECT_NE(message.find("linear_buckets"), std::string::npos) << message;
  }
}

TEST(DefaultBuckets, ArePrometheusClients) {
  EXPECT_EQ(metrics::default_buckets(),
            (std::vector<double>{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5,
                                 10.0, kInf}));
}

TEST(Error, IsAnInvalidArgument) {
  static_assert(std::is_base_of_v<std::invalid_argument, metrics::Error>);
  try {
    metrics::linear_buckets(0, 1, 2);
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()), "");
  }
}
