// The bucket search against std::lower_bound: the guide table (bounds it can take, and every
// value around them, random bit patterns included) and the binary search it falls back to.
#include "bentoml/metrics/detail/bucket_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <bentoml/metrics/buckets.hpp>

namespace metrics = bentoml::metrics;
using bentoml::metrics::detail::BucketSearch;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Values to try against `bounds`: each bound and its neighbours, zeros, infinities, the
/// extremes, and random values across the bounds and across every bit pattern.
std::vector<double> values_around(const std::vector<double>& bounds, std::uint64_t seed) {
  std::vector<double> values = {0.0,
                                -0.0,
                                kInf,
                                -kInf,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest()};
  for (double bound : bounds) {
    for (double value : {bound, std::nextafter(bound, -kInf), std::nextafter(bound, kInf),
                         bound * 0.5, bound * 2, -bound}) {
      values.push_back(value);
    }
  }
  std::mt19937_64 random(seed);
  for (int i = 0; i < 20000; ++i) {
    const double value = bentoml::metrics::detail::bits_to_double(random());
    if (!std::isnan(value)) values.push_back(value);
  }
  if (!bounds.empty()) {
    std::uniform_real_distribution<double> across(bounds.front() - 1, bounds.back() + 1);
    for (int i = 0; i < 20000; ++i) values.push_back(across(random));
    std::uniform_real_distribution<double> exponent(std::log2(std::max(bounds.front(), 1e-300)) - 4,
                                                    std::log2(std::max(bounds.back(), 1e-300)) + 4);
    for (int i = 0; i < 20000; ++i) values.push_back(std::exp2(exponent(random)));
  }
  return values;
}

void expect_lower_bound(const std::vector<double>& bounds, std::uint64_t seed = 7) {
  const BucketSearch search(bounds);
  for (double value : values_around(bounds, seed)) {
    const auto expected = static_cast<std::size_t>(
        std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    ASSERT_EQ(search.find(value), expected)
        << "value " << value << " among " << bounds.size() << " bounds from " << bounds.front()
        << (search.guided() ? " (guided)" : " (searched)");
    if (search.guided()) {
      ASSERT_EQ(search.find_searched(value), expected) << "value " << value;
    }
  }
  // NaN: some bucket, never past the +Inf one (callers place NaN themselves).
  EXPECT_LE(search.find(std::nan("")), bounds.size());
  EXPECT_LE(search.find(-std::nan("")), bounds.size());
}

}  // namespace

TEST(BucketSearch, GuidesTheUsualBucketsWithASmallTable) {
  for (const std::vector<double>& bounds :
       {metrics::exponential_buckets(0.001, 1.5, 10.0), metrics::default_buckets(),
        metrics::linear_buckets(1, 1, 60), metrics::exponential_buckets(1e-9, 1.2, 1e9)}) {
    std::vector<double> finite(bounds.begin(), bounds.end() - 1);  // without +Inf
    const BucketSearch search(finite);
    EXPECT_TRUE(search.guided()) << finite.size() << " bounds from " << finite.front();
    EXPECT_LE(search.guide_cells(), BucketSearch::kMaxGuideCells);
    expect_lower_bound(finite);
  }
  // BentoML's buckets (a factor of 1.5): a cell half a power of two wide, 27 of them.
  std::vector<double> bentoml = metrics::exponential_buckets(0.001, 1.5, 10.0);
  bentoml.pop_back();
  EXPECT_EQ(BucketSearch(bentoml).guide_cells(), 27u);
}

TEST(BucketSearch, EveryBoundCountAndSpacingAgreesWithLowerBound) {
  std::mt19937_64 random(11);
  for (std::size_t count : {1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 100, 1000, 4095, 4096, 9000}) {
    // Evenly spaced from 0, from a positive start, across zero; and random positive ones.
    std::vector<double> from_zero, from_positive, across_zero, scattered;
    for (std::size_t i = 0; i < count; ++i) {
      from_zero.push_back(0.25 * static_cast<double>(i));
      from_positive.push_back(3.0 + static_cast<double>(i));
      across_zero.push_back(-10 + 0.5 * static_cast<double>(i));
    }
    std::uniform_real_distribution<double> exponent(-30, 30);
    while (scattered.size() < count) scattered.push_back(std::exp2(exponent(random)));
    std::sort(scattered.begin(), scattered.end());
    scattered.erase(std::unique(scattered.begin(), scattered.end()), scattered.end());
    for (const auto* bounds : {&from_zero, &from_positive, &across_zero, &scattered}) {
      expect_lower_bound(*bounds, count);
    }
    EXPECT_FALSE(BucketSearch(across_zero).guided()) << "negative bounds";
  }
}

TEST(BucketSearch, BoundsTooCloseForATableAreSearched) {
  // Adjacent doubles: no number of mantissa bits up to the limit separates them.
  const std::vector<double> adjacent = {1.0, std::nextafter(1.0, 2.0), 2.0};
  EXPECT_FALSE(BucketSearch(adjacent).guided());
  expect_lower_bound(adjacent);
  // Bounds spread over the whole range of doubles need more cells than the limit allows.
  const std::vector<double> spread = {1e-300, 1e-100, 1.0, 1e100, 1e300};
  EXPECT_TRUE(BucketSearch(spread).guided());  // a bit each power of two suffices: 2,000 cells
  expect_lower_bound(spread);
  const std::vector<double> spread_and_close = {1e-300, 1.0, 1.01, 1e300};
  EXPECT_FALSE(BucketSearch(spread_and_close).guided());
  expect_lower_bound(spread_and_close);
}

TEST(BucketSearch, ZeroAndSubnormalBounds) {
  const double tiny = std::numeric_limits<double>::denorm_min();
  for (const std::vector<double>& bounds :
       {std::vector<double>{0.0}, std::vector<double>{0.0, 0.5, 1.0, 2.0},
        std::vector<double>{tiny}, std::vector<double>{std::numeric_limits<double>::max()}}) {
    EXPECT_TRUE(BucketSearch(bounds).guided()) << bounds.size();
    expect_lower_bound(bounds);
  }
  // The smallest subnormals differ in their last bits only: searched, and still right.
  const std::vector<double> subnormal = {0.0, tiny, 2 * tiny, 1e-310, 1.0};
  EXPECT_FALSE(BucketSearch(subnormal).guided());
  expect_lower_bound(subnormal);
}

TEST(BucketSearch, NoBoundsIsOneBucket) {
  const BucketSearch search(std::vector<double>{});
  EXPECT_FALSE(search.guided());
  for (double value : {-kInf, -1.0, 0.0, 1.0, kInf}) EXPECT_EQ(search.find(value), 0u);
}
