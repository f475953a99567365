// Internal: one shard of a histogram series, the unit of consistent, lock-free recording.
// Not part of the API.
//
// A shard is an array of words (offsets below): `kStarted` (bit 63: which of the two copies is
// hot; bits 0-62: how many observations have started), two copies, each
// [count][sum as double bits][bucket 0]...[bucket n-1], then the reader's own words: `pending`
// and the last complete reading [count][sum][bucket 0]...[bucket n-1]. This is client_golang's
// hot/cold scheme (its PR #457), changed so that the reader never writes into a copy and never
// waits for a writer that is not running:
//
// Writer: `n = started.fetch_add(1, acquire)` picks the hot copy; it adds to one bucket and to the
//   sum, then increments the copy's count with release, the signal that it is complete. A shard
//   with a single writer (a thread slot's own shard) does these three updates with plain loads
//   and stores; the shared shard uses atomic read-modify-writes.
// Reader (one at a time per shard): invariant at the start of a read without `pending`: the
//   cold copy is complete and stable (every observation that started on it has completed, and
//   none starts on it while it is cold). The reader
//   1. copies the cold copy C (count `c`, sum, buckets);
//   2. flips the hot bit with an acq_rel RMW, which returns the number `n` of observations
//      started on both copies, so the copy W that was hot has seen `n - c` of them start; from
//      now on no observation starts on W;
//   3. waits a bounded few microseconds for W's count to reach `n - c` (acquire: every bucket
//      and sum update of those observations is then visible). A writer that is running finishes
//      in nanoseconds; one that the scheduler preempted (or that died in fork()) may not.
//   4a. Complete: C + W is exactly the histogram as of the flip (each observation started on
//      exactly one copy, and both readings hold all of theirs): `_count` equals the sum of the
//      buckets and the `+Inf` bucket, `_sum` covers the same observations. It becomes the last
//      complete reading. W is now cold, complete and stable: the invariant holds again.
//   4b. Not complete: the reader records W and `n - c` as `pending` and reports the last complete
//      reading instead: consistent and never torn, at most one scrape older than it would have
//      been. The next read first checks whether W has completed; until it has, it reports the
//      last complete reading again without flipping (C, now hot, takes every new observation);
//      once it has, W is cold, complete and stable and the read proceeds from step 1.
// Readings are monotone: each complete reading contains the previous one.
// After fork() the child has only the forking thread: after_fork_in_child() completes what the
// dead threads left in flight (see there).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/counter_cell.hpp"

namespace bentoml::metrics::detail {

/// A consistent reading of a histogram: per-bucket (non-cumulative) counts, count and sum.
struct HistogramReading {
  std::uint64_t* buckets;  ///< bucket_count entries, caller-provided, added to
  std::uint64_t* scratch;  ///< bucket_count entries the reader may overwrite
  std::uint64_t count = 0;
  double sum = 0;
};

class HistogramShard {
 public:
  static constexpr std::uint64_t kHotBit = std::uint64_t{1} << 63;

  // Word offsets: of the shard, of a copy (and of the last complete reading, laid out alike).
  static constexpr std::size_t kStarted = 0;
  static constexpr std::size_t kFirstCopy = 1;
  static constexpr std::size_t kCount = 0;
  static constexpr std::size_t kSum = 1;
  static constexpr std::size_t kFirstBucket = 2;

  /// Words of one copy of `bucket_count` buckets.
  static constexpr std::size_t copy_words(std::size_t bucket_count) noexcept {
    return kFirstBucket + bucket_count;
  }
  /// Words a shard of `bucket_count` buckets needs.
  static constexpr std::size_t words(std::size_t bucket_count) noexcept {
    return kFirstCopy + 2 * copy_words(bucket_count) + 1 + copy_words(bucket_count);
  }

  HistogramShard(std::atomic<std::uint64_t>* words, std::size_t bucket_count) noexcept
      : words_(words), bucket_count_(bucket_count) {}

  /// Records one observation; the calling thread must be this shard's only writer.
  void observe_single_writer(std::size_t bucket, double value) const noexcept {
    const std::uint64_t started = words_[kStarted].fetch_add(1, std::memory_order_acquire);
    std::atomic<std::uint64_t>* copy = copy_at(started >> 63);
    single_writer_add(copy[kFirstBucket + bucket], 1);
    copy[kSum].store(double_to_bits(bits_to_double(copy[kSum].load(std::memory_order_relaxed)) +
                                    value),
                     std::memory_order_relaxed);
    copy[kCount].store(copy[kCount].load(std::memory_order_relaxed) + 1,
                       std::memory_order_release);
  }

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

 private:
  static constexpr std::uint64_t kPendingBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kPendingCopyBit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kPendingCountMask = kPendingCopyBit - 1;

  std::atomic<std::uint64_t>* copy_at(std::uint64_t index) const noexcept {
    return words_ + kFirstCopy + index * copy_words(bucket_count_);
  }
  std::atomic<std::uint64_t>& pending() const noexcept {
    return words_[kFirstCopy + 2 * copy_words(bucket_count_)];
  }
  std::atomic<std::uint64_t>* last_reading() const noexcept { return &pending() + 1; }

  std::atomic<std::uint64_t>* words_;
  std::size_t bucket_count_;
};

}  // namespace bentoml::metrics::detail
