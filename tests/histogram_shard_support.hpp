// What the tests of both histogram shards (single-writer and shared) need: a reading of a
// shard as plain numbers, and the time a call takes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/histogram_reading.hpp"

namespace bentoml::metrics::testing {

template <std::size_t kBuckets>
struct ShardReading {
  std::uint64_t buckets[kBuckets] = {};
  std::uint64_t count = 0;
  double sum = 0;
};

/// One read_into() of `shard` (either kind) with `kBuckets` buckets.
template <std::size_t kBuckets, class Shard>
ShardReading<kBuckets> read_shard(const Shard& shard) {
  ShardReading<kBuckets> result;
  std::uint64_t scratch[detail::reading_words(kBuckets)];
  detail::HistogramReading reading{result.buckets, scratch};
  shard.read_into(reading);
  result.count = reading.count;
  result.sum = reading.sum;
  return result;
}

template <class Call>
double milliseconds_of(Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace bentoml::metrics::testing
