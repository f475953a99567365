#include "bentoml/metrics/buckets.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bentoml/metrics/error.hpp"

namespace metrics = bentoml::metrics;

TEST(ExponentialBuckets, BentoMlGuideBucketsAreRepeatedMultiplicationThenEndThenInf) {
  const auto buckets = metrics::exponential_buckets(0.001, 1.5, 10.0);
  ASSERT_EQ(buckets.size(), 25u);
  double bound = 0.001;
  for (std::size_t i = 0; i < 23; ++i) {
    EXPECT_EQ(buckets[i], bound) << i;  // bit-identical to Python's repeated multiplication
    bound *= 1.5;
  }
  EXPECT_EQ(buckets[23], 10.0);
  EXPECT_TRUE(std::isinf(buckets[24]));
  EXPECT_EQ(buckets[2], 0.0022500000000000003);
}

TEST(ExponentialBuckets, CapsGeneratedBoundsAtOneHundred) {
  const auto buckets = metrics::exponential_buckets(1e-300, 1.01, 1e300);
  ASSERT_EQ(buckets.size(), 102u);
  EXPECT_EQ(buckets[100], 1e300);
  EXPECT_TRUE(std::isinf(buckets[101]));
}

TEST(ExponentialBuckets, RejectsInvalidArguments) {
  EXPECT_THROW(metrics::exponential_buckets(0, 1.5, 10), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(-1, 1.5, 10), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(1, 1.0, 10), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(1, 0.5, 10), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(10, 1.5, 10), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(10, 1.5, 1), metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(1, 1.5, std::numeric_limits<double>::infinity()),
               metrics::Error);
  EXPECT_THROW(metrics::exponential_buckets(std::nan(""), 1.5, 10), metrics::Error);
}

TEST(LinearBuckets, RepeatedAdditionThenEndThenInf) {
  const auto buckets = metrics::linear_buckets(0.1, 0.1, 0.5);
  ASSERT_EQ(buckets.size(), 6u);  // 0.1, 0.2, 0.30000000000000004, 0.4, then end, +Inf
  EXPECT_EQ(buckets[2], 0.1 + 0.1 + 0.1);
  EXPECT_EQ(buckets[4], 0.5);
  EXPECT_TRUE(std::isinf(buckets[5]));
  EXPECT_EQ(metrics::linear_buckets(1, 1, 3), (std::vector<double>{1, 2, 3, INFINITY}));
}

TEST(LinearBuckets, RejectsInvalidArguments) {
  EXPECT_THROW(metrics::linear_buckets(0, 0.1, 1), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(-1, 1, 5), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(1, 0, 2), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(1, -1, 2), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(1, 1, 1), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(2, 1, 1), metrics::Error);
}

TEST(DefaultBuckets, ArePrometheusClients) {
  EXPECT_EQ(metrics::default_buckets(),
            (std::vector<double>{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5,
                                 10.0, INFINITY}));
}
