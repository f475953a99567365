// The shared histogram shard's read protocol, driven step by step: a writer that has started an
// observation and stopped (preempted, or dead after fork()) must not hold a reading up, and the
// reading must stay consistent and monotone.
#include "bentoml/metrics/detail/shared_histogram_shard.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "histogram_shard_support.hpp"

namespace metrics = bentoml::metrics;
namespace detail = bentoml::metrics::detail;
using detail::SharedHistogramShard;
using metrics::testing::milliseconds_of;

namespace {

constexpr std::size_t kBuckets = 3;

struct Shard {
  ~Shard() { shard.release(); }
  std::vector<std::atomic<std::uint64_t>> words =
      std::vector<std::atomic<std::uint64_t>>(SharedHistogramShard::words(kBuckets));
  SharedHistogramShard shard{words.data(), kBuckets};

  using Reading = metrics::testing::ShardReading<kBuckets>;
  Reading read() const { return metrics::testing::read_shard<kBuckets>(shard); }

  /// The first half of an observation: started on the hot copy, bucket counted, never completed.
  void start_and_stall(std::size_t bucket) {
    const std::uint64_t started =
        words[SharedHistogramShard::kStarted].fetch_add(1, std::memory_order_acquire);
    const std::size_t copy = SharedHistogramShard::kFirstCopy +
                             (started >> 63) * SharedHistogramShard::copy_words(kBuckets);
    stalled_copy = copy;
    words[copy + SharedHistogramShard::kFirstBucket + bucket].fetch_add(1);
    words[copy + SharedHistogramShard::kSum].store(detail::double_to_bits(
        detail::bits_to_double(words[copy + SharedHistogramShard::kSum]) + 1.0));
  }
  /// The second half: the stalled writer runs again.
  void complete_stalled() { words[stalled_copy + SharedHistogramShard::kCount].fetch_add(1); }

  std::size_t stalled_copy = 0;
};

void expect_consistent(const Shard::Reading& reading) {
  std::uint64_t in_buckets = 0;
  for (std::uint64_t bucket : reading.buckets) in_buckets += bucket;
  EXPECT_EQ(in_buckets, reading.count);
}

}  // namespace

TEST(SharedHistogramShard, ReadsEveryCompletedObservation) {
  Shard shard;
  for (int i = 0; i < 5; ++i) shard.shard.observe_shared(i % kBuckets, 1.0);
  shard.shard.observe_shared(2, 0.5);
  for (int round = 0; round < 3; ++round) {
    const Shard::Reading reading = shard.read();
    EXPECT_EQ(reading.count, 6u);
    EXPECT_EQ(reading.sum, 5.5);
    EXPECT_EQ(reading.buckets[0], 2u);
    EXPECT_EQ(reading.buckets[1], 2u);
    EXPECT_EQ(reading.buckets[2], 2u);
  }
}

TEST(SharedHistogramShard, AStalledWriterDoesNotHoldTheReadingUp) {
  Shard shard;
  shard.shard.observe_shared(0, 1.0);
  EXPECT_EQ(shard.read().count, 1u);  // the last complete reading
  shard.shard.observe_shared(1, 1.0);
  shard.start_and_stall(2);
  // The reader flips, finds an observation in flight and reports the last complete reading.
  Shard::Reading reading;
  EXPECT_LT(milliseconds_of([&] { reading = shard.read(); }), 100.0);
  EXPECT_EQ(reading.count, 1u);
  expect_consistent(reading);
  // Observations keep landing on the other copy while the stalled one is pending.
  shard.shard.observe_shared(0, 1.0);
  EXPECT_LT(milliseconds_of([&] { reading = shard.read(); }), 100.0);
  EXPECT_EQ(reading.count, 1u);  // still pending: the same reading, never a torn one
  expect_consistent(reading);
  // Once the writer completes, the next reading has everything.
  shard.complete_stalled();
  reading = shard.read();
  EXPECT_EQ(reading.count, 4u);
  EXPECT_EQ(reading.buckets[0], 2u);
  EXPECT_EQ(reading.buckets[1], 1u);
  EXPECT_EQ(reading.buckets[2], 1u);
  EXPECT_EQ(reading.sum, 4.0);
  EXPECT_EQ(shard.read().count, 4u);
}

TEST(SharedHistogramShard, AfterForkTheDeadWritersObservationsAreSettled) {
  Shard shard;
  shard.shard.observe_shared(0, 1.0);
  shard.shard.observe_shared(1, 1.0);
  (void)shard.read();
  shard.shard.observe_shared(1, 1.0);
  shard.start_and_stall(2);  // the writer "dies" here: it reached its bucket
  (void)shard.read();        // leaves a reading pending on the stalled copy
  shard.shard.after_fork_in_child();
  const Shard::Reading reading = shard.read();
  EXPECT_EQ(reading.count, 4u);  // everything completed, and the bucket the dead one reached
  expect_consistent(reading);
  shard.shard.observe_shared(0, 1.0);
  EXPECT_EQ(shard.read().count, 5u);
}
