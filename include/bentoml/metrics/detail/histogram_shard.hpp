// Internal: the shard of a histogram series that one thread writes (the series' owner, or a
// thread slot's holder): recording without a locked instruction, reading without waiting for
// the writer. Not part of the API. (Threads without a slot share a SharedHistogramShard.)
//
// Words (offsets below): `kSequence`, twice the number of completed observations, odd while one
// is in progress; `kRequest`, the hand-shake of reader and writer; the live state ([sum as
// double bits][bucket 0]...[bucket n-1]; the count is the sequence / 2); and the last reading
// ([count][sum][buckets...], the layout of histogram_reading.hpp).
//
// Writer (one at a time; slot hand-over orders successive ones): stores sequence + 1, adds to
//   one bucket and to the sum with release stores (a reader that sees either sees the odd
//   sequence after it), stores sequence + 2 with release, then loads `kRequest`: if a reader
//   asked (kRequested) it moves it to kPublishing with a compare-and-swap, copies its live
//   state, now complete, into the last reading, and stores kIdle with release. Its common path
//   is plain loads and stores: no locked instruction, no fence on x86.
// Reader (one at a time per shard, as for every shard):
//   1. Live: sequence (acquire), every live word (acquire), sequence again. Equal and even: the
//      words are exactly the state after that many observations (a word written by a later
//      observation would have shown its odd sequence to the second load). This is the reading,
//      and when the last reading is the reader's (kIdle) it is kept there: the last reading
//      is then never older than anything reported.
//   2. The writer is in an observation (odd or moving sequence): the reader asks (kIdle ->
//      kRequested, release) and checks for a bounded few microseconds whether the writer
//      answered (kIdle again, acquire: the last reading is the writer's complete state, newer
//      than anything reported) or the live words came to rest (step 1).
//   3. Neither (the writer was preempted inside an observation, or died there in fork()): the
//      request stays, and the reader reports the last reading, copied while the state stays
//      kRequested (the writer moves it to kPublishing before it writes, and writes with
//      release stores, so a copy that saw a write sees the move and is made again). When the
//      writer runs again it publishes, so the next reading is no older than the writer's state
//      at that moment: readings advance even if the writer is inside an observation at every
//      scrape (one core, busy writers). A later successful step 1 takes an unanswered request
//      back (kRequested -> kIdle by compare-and-swap) and keeps its own reading instead.
// Only the reader writes the last reading in kIdle, only the writer in kPublishing (the reader
// writes it only after taking back a request or seeing it answered), so it never has two
// writers. Every reading is consistent (`_count` equals the buckets and `_sum` covers the same
// observations) and monotone. After fork() the child has only the forking thread:
// after_fork_in_child() settles what a dead writer left in flight.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/double_bits.hpp"
#include "bentoml/metrics/detail/histogram_reading.hpp"

namespace bentoml::metrics::detail {

class HistogramShard {
 public:
  // Word offsets.
  static constexpr std::size_t kSequence = 0;
  static constexpr std::size_t kRequest = 1;
  static constexpr std::size_t kLiveSum = 2;
  static constexpr std::size_t kLiveFirstBucket = 3;

  // States of `kRequest`.
  static constexpr std::uint64_t kIdle = 0;
  static constexpr std::uint64_t kRequested = 1;
  static constexpr std::uint64_t kPublishing = 2;

  /// Offset of the last reading.
  static constexpr std::size_t last_reading(std::size_t bucket_count) noexcept {
    return kLiveFirstBucket + bucket_count;
  }
  /// Words a shard of `bucket_count` buckets needs.
  static constexpr std::size_t words(std::size_t bucket_count) noexcept {
    return last_reading(bucket_count) + reading_words(bucket_count);
  }

  HistogramShard(std::atomic<std::uint64_t>* words, std::size_t bucket_count) noexcept
      : words_(words), bucket_count_(bucket_count) {}

  /// Records one observation; the calling thread must be this shard's only writer.
  void observe(std::size_t bucket, double value) const noexcept {
    std::atomic<std::uint64_t>& sequence = words_[kSequence];
    const std::uint64_t before = sequence.load(std::memory_order_relaxed);
    sequence.store(before + 1, std::memory_order_relaxed);
    std::atomic<std::uint64_t>& count = words_[kLiveFirstBucket + bucket];
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    std::atomic<std::uint64_t>& sum = words_[kLiveSum];
    sum.store(double_to_bits(bits_to_double(sum.load(std::memory_order_relaxed)) + value),
              std::memory_order_release);
    sequence.store(before + 2, std::memory_order_release);
    if (BENTOML_METRICS_UNLIKELY(words_[kRequest].load(std::memory_order_relaxed) == kRequested)) {
      publish(words_, bucket_count_);
    }
  }

  /// Adds a consistent reading of this shard to `reading`, without waiting for a writer that is
  /// not running. Callers serialize readers per shard.
  void read_into(HistogramReading& reading) const noexcept;

  /// In a child process after fork(), before any other thread exists: an observation the dead
  /// writer left in flight is completed if it reached its bucket (its value may be missing from
  /// `_sum`) and dropped otherwise; every observation completed before the fork is kept exactly.
  void after_fork_in_child() const noexcept;

 private:
  /// The writer's answer to a reader's request (step 2). Static, so that the shard object
  /// never needs an address: a compiler keeps it in registers across the release stores.
  BENTOML_METRICS_NOINLINE static void publish(std::atomic<std::uint64_t>* words,
                                               std::size_t bucket_count) noexcept;
  /// Step 1 into `out` (reading_words entries); false if the writer is in an observation.
  bool read_live(std::uint64_t* out) const noexcept;
  /// Keeps `reading` as the last reading when the reader owns it.
  void keep(const std::uint64_t* reading) const noexcept;
  std::atomic<std::uint64_t>* last() const noexcept { return words_ + last_reading(bucket_count_); }

  std::atomic<std::uint64_t>* words_;
  std::size_t bucket_count_;
};

}  // namespace bentoml::metrics::detail
