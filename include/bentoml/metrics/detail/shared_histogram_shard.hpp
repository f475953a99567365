// Internal: the shard of a histogram series that threads without a thread slot share, the unit
// of consistent, lock-free recording by any number of writers. Not part of the API. (A shard
// with one writer, the owner's or a slot's, is a HistogramShard: histogram_shard.hpp.)
//
// A shard is an array of words (offsets below): `kStarted` (bit 63: which of the two copies is
// hot; bits 0-62: how many observations have started on it since it became hot), two copies,
// each [count][sum as double bits][bucket 0]...[bucket n-1], and a pointer to the reader's side
// record (null until a reading first has to fall back on it). This is client_golang's hot/cold
// scheme, changed so that the reader never waits for a writer that is not running.
// The cold copy holds the whole histogram as of the last complete reading; the hot copy holds
// what has been observed since (it was zeroed before it became hot).
//
// Writer: `n = started.fetch_add(1, acquire)` picks the hot copy; it adds to one bucket and to the
//   sum, then increments the copy's count with release, the signal that it is complete, each an
//   atomic read-modify-write.
// Reader (one at a time per shard; it writes only copies that no writer can enter). Invariant
//   at the start of a read with nothing pending: the cold copy C is complete and stable (no
//   observation is in it or can start on it) and holds the total T as of the last reading.
//   1. It copies C (T) aside and zeroes C: no writer is in C, and writers that start on C after
//      step 2 see the zeros (the flip below releases them; their fetch_add acquires).
//   2. It flips: `started.exchange(other hot bit | 0, acq_rel)` makes C hot and returns how many
//      observations `n` started on the old hot copy W since it became hot (zeroed).
//   3. It waits a bounded few microseconds for W's count to reach `n` (acquire: every bucket and
//      sum update of those observations is then visible). A running writer finishes in
//      nanoseconds; one that the scheduler preempted (or that died in fork()) may not.
//   4a. Complete: W holds exactly the observations since the last reading, so W + T is the
//      histogram as of the flip: `_count` equals the sum of the buckets and the `+Inf` bucket,
//      and `_sum` covers the same observations. It adds T into W (W is cold now: no writer can
//      enter it) and reports W. W is the new cold copy holding the total: the invariant holds.
//   4b. Not complete: T goes into the side record (allocated on first need) with W and `n`, and
//      T is reported: consistent, never torn, at most one scrape older than it would have been.
//      The next read first checks whether W has completed; until it has, it reports T again
//      without flipping (C, now hot, takes every new observation); once it has, it adds T into
//      W, which restores the invariant, and proceeds from step 1.
// Readings are monotone: each contains the previous one. Without the side record a shard is two
// copies; the record costs one more copy only for shards that once had to fall back on it. If
// that allocation fails, the reader waits for W instead (yielding), as before this design.
// After fork() the child has only the forking thread: after_fork_in_child() completes what the
// dead writers left in flight (see there); scrapes cannot be in flight (the fork handlers wait
// for them).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/double_bits.hpp"
#include "bentoml/metrics/detail/histogram_reading.hpp"

namespace bentoml::metrics::detail {

class SharedHistogramShard {
 public:
  static constexpr std::uint64_t kHotBit = std::uint64_t{1} << 63;

  // Word offsets: of the shard, of a copy (and of the last complete reading, laid out alike).
  static constexpr std::size_t kStarted = 0;
  static constexpr std::size_t kFirstCopy = 1;
  static constexpr std::size_t kCount = kReadingCount;
  static constexpr std::size_t kSum = kReadingSum;
  static constexpr std::size_t kFirstBucket = kReadingFirstBucket;

  /// Words of one copy of `bucket_count` buckets.
  static constexpr std::size_t copy_words(std::size_t bucket_count) noexcept {
    return reading_words(bucket_count);
  }
  /// Words a shard of `bucket_count` buckets needs.
  static constexpr std::size_t words(std::size_t bucket_count) noexcept {
    return kFirstCopy + 2 * copy_words(bucket_count) + 1;
  }

  SharedHistogramShard(std::atomic<std::uint64_t>* words, std::size_t bucket_count) noexcept
      : words_(words), bucket_count_(bucket_count) {}

  /// Records one observation; any number of threads may write at once.
  void observe_shared(std::size_t bucket, double value) const noexcept {
    const std::uint64_t started = words_[kStarted].fetch_add(1, std::memory_order_acquire);
    std::atomic<std::uint64_t>* copy = copy_at(started >> 63);
    copy[kFirstBucket + bucket].fetch_add(1, std::memory_order_relaxed);
    atomic_add_double(copy[kSum], value);
    copy[kCount].fetch_add(1, std::memory_order_release);
  }

  /// Adds a consistent reading of this shard to `reading`, without waiting for writers that are
  /// not running. Callers serialize readers per shard.
  void read_into(HistogramReading& reading) const noexcept;

  /// In a child process after fork(), before any other thread exists: observations that dead
  /// threads left in flight are completed where they reached their bucket (their value may be
  /// missing from `_sum`) and dropped otherwise; every observation completed before the fork is
  /// kept exactly. Leaves no reading pending.
  void after_fork_in_child() const noexcept;

  /// Frees the side record; the shard's owner calls it once, when the series is destroyed.
  void release() const noexcept;

 private:
  /// The reader's side record: the last complete reading while the copy `copy` still has
  /// `expected` observations to complete. Only the (serialized) reader touches it.
  struct SideRecord {
    bool pending = false;
    std::uint64_t copy = 0;
    std::uint64_t expected = 0;
    std::uint64_t last[1];  ///< really copy_words(bucket_count): [count][sum][buckets...]
  };

  std::atomic<std::uint64_t>* copy_at(std::uint64_t index) const noexcept {
    return words_ + kFirstCopy + index * copy_words(bucket_count_);
  }
  std::atomic<std::uint64_t>& side_word() const noexcept {
    return words_[kFirstCopy + 2 * copy_words(bucket_count_)];
  }
  /// The side record lives in a word of the shard's array (the array is all atomic words).
  SideRecord* side() const noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the word holds a pointer the reader stored
    return reinterpret_cast<SideRecord*>(side_word().load(std::memory_order_relaxed));
  }
  SideRecord* side_or_new() const noexcept;
  /// Adds the words of `from` ([count][sum][buckets...]) into the cold copy `to`.
  void fold_into(std::atomic<std::uint64_t>* to, const std::uint64_t* from) const noexcept;

  std::atomic<std::uint64_t>* words_;
  std::size_t bucket_count_;
};

}  // namespace bentoml::metrics::detail
