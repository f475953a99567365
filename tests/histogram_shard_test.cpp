// The single-writer histogram shard's read protocol, driven step by step: a writer stopped
// inside an observation (preempted, or dead after fork()) must not hold a reading up, a reader
// must get fresh readings from a writer that never rests, and every reading must be consistent
// and monotone.
#include "bentoml/metrics/detail/histogram_shard.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include "histogram_shard_support.hpp"

namespace metrics = bentoml::metrics;
namespace detail = bentoml::metrics::detail;
using detail::HistogramShard;
using metrics::testing::milliseconds_of;

namespace {

constexpr std::size_t kBuckets = 3;

struct Shard {
  std::vector<std::atomic<std::uint64_t>> words =
      std::vector<std::atomic<std::uint64_t>>(HistogramShard::words(kBuckets));
  HistogramShard shard{words.data(), kBuckets};

  using Reading = metrics::testing::ShardReading<kBuckets>;
  Reading read() const { return metrics::testing::read_shard<kBuckets>(shard); }

  /// The first half of an observation of 1.0: started, bucket counted, sum and end not written.
  void start_and_stall(std::size_t bucket) {
    words[HistogramShard::kSequence].fetch_add(1);
    words[HistogramShard::kLiveFirstBucket + bucket].fetch_add(1);
  }
  /// The second half: the stalled writer runs again.
  void complete_stalled() {
    auto& sum = words[HistogramShard::kLiveSum];
    sum.store(detail::double_to_bits(detail::bits_to_double(sum.load()) + 1.0));
    words[HistogramShard::kSequence].fetch_add(1);
  }
};

void expect_consistent(const Shard::Reading& reading) {
  std::uint64_t in_buckets = 0;
  for (std::uint64_t bucket : reading.buckets) in_buckets += bucket;
  EXPECT_EQ(in_buckets, reading.count);
  EXPECT_EQ(reading.sum, static_cast<double>(reading.count));  // every observation is 1.0
}

}  // namespace

TEST(HistogramShard, ReadsEveryCompletedObservation) {
  Shard shard;
  for (int i = 0; i < 6; ++i) shard.shard.observe(i % kBuckets, 1.0);
  for (int round = 0; round < 3; ++round) {
    const Shard::Reading reading = shard.read();
    EXPECT_EQ(reading.count, 6u);
    EXPECT_EQ(reading.sum, 6.0);
    for (std::uint64_t bucket : reading.buckets) EXPECT_EQ(bucket, 2u);
  }
}

TEST(HistogramShard, AWriterStoppedInsideAnObservationDoesNotHoldTheReadingUp) {
  Shard shard;
  shard.shard.observe(0, 1.0);
  EXPECT_EQ(shard.read().count, 1u);
  shard.shard.observe(1, 1.0);
  EXPECT_EQ(shard.read().count, 2u);  // kept as the last reading
  shard.start_and_stall(2);
  // The reader asks, gets no answer and reports the last reading; the request stays.
  Shard::Reading reading;
  EXPECT_LT(milliseconds_of([&] { reading = shard.read(); }), 100.0);
  EXPECT_EQ(reading.count, 2u);
  expect_consistent(reading);
  EXPECT_EQ(shard.words[HistogramShard::kRequest].load(), HistogramShard::kRequested);
  EXPECT_EQ(shard.read().count, 2u);  // still inside: the same reading, never a torn one
  // The writer runs again: it completes the observation and, at the end of the next one,
  // answers the request.
  shard.complete_stalled();
  shard.shard.observe(0, 1.0);
  EXPECT_EQ(shard.words[HistogramShard::kRequest].load(), HistogramShard::kIdle);
  shard.start_and_stall(1);  // and stops inside an observation again
  reading = shard.read();
  EXPECT_EQ(reading.count, 4u);  // what it published
  EXPECT_EQ(reading.buckets[0], 2u);
  EXPECT_EQ(reading.buckets[1], 1u);
  EXPECT_EQ(reading.buckets[2], 1u);
  expect_consistent(reading);
  shard.complete_stalled();
  reading = shard.read();
  EXPECT_EQ(reading.count, 5u);
  expect_consistent(reading);
  EXPECT_EQ(shard.words[HistogramShard::kRequest].load(), HistogramShard::kIdle);  // taken back
}

TEST(HistogramShard, TheWriterAnswersAReadersRequestWithItsCompleteState) {
  Shard shard;
  shard.shard.observe(0, 1.0);
  (void)shard.read();
  shard.words[HistogramShard::kRequest].store(HistogramShard::kRequested);  // as step 2 does
  shard.shard.observe(1, 1.0);
  shard.shard.observe(2, 1.0);
  EXPECT_EQ(shard.words[HistogramShard::kRequest].load(), HistogramShard::kIdle);
  const std::size_t last = HistogramShard::last_reading(kBuckets);
  EXPECT_EQ(shard.words[last + detail::kReadingCount].load(), 2u);  // published after the first
  EXPECT_EQ(shard.words[last + detail::kReadingFirstBucket + 1].load(), 1u);
  EXPECT_EQ(shard.words[last + detail::kReadingFirstBucket + 2].load(), 0u);
}

TEST(HistogramShard, ReadingsKeepUpWithAWriterThatNeverRests) {
  // Run it on a loaded machine too: the writer is then often preempted inside an observation,
  // and each reading must still hold everything written before the previous reading began.
  Shard shard;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      shard.shard.observe(n % kBuckets, 1.0);
      written.store(++n, std::memory_order_relaxed);
    }
  });
  std::uint64_t previous = 0;
  std::uint64_t written_before_previous = 0;
  int fresh = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t before = written.load(std::memory_order_relaxed);
    const Shard::Reading reading = shard.read();
    expect_consistent(reading);
    ASSERT_GE(reading.count, previous);                 // monotone
    ASSERT_GE(reading.count, written_before_previous);  // never stuck
    if (reading.count >= before) ++fresh;
    previous = reading.count;
    written_before_previous = before;
    // The writer completes an observation (and so sees any request) before the next reading.
    const std::uint64_t after = written.load(std::memory_order_relaxed);
    while (written.load(std::memory_order_relaxed) < after + 2) std::this_thread::yield();
  }
  stop.store(true);
  writer.join();
  std::printf("%d of 2000 readings had everything written before they began\n", fresh);
  EXPECT_EQ(shard.read().count, written.load());
}

TEST(HistogramShard, AfterForkTheDeadWritersObservationIsSettled) {
  Shard shard;
  shard.shard.observe(0, 1.0);
  shard.shard.observe(1, 1.0);
  (void)shard.read();
  shard.start_and_stall(2);  // the writer "dies" here: it reached its bucket
  shard.words[HistogramShard::kRequest].store(HistogramShard::kPublishing);  // and a half copy
  shard.shard.after_fork_in_child();
  Shard::Reading reading = shard.read();
  EXPECT_EQ(reading.count, 3u);  // everything completed, and the bucket the dead one reached
  EXPECT_EQ(reading.buckets[2], 1u);
  shard.shard.observe(0, 1.0);
  reading = shard.read();
  EXPECT_EQ(reading.count, 4u);
  EXPECT_EQ(shard.words[HistogramShard::kRequest].load(), HistogramShard::kIdle);
}
