// Internal: one shard of a histogram series, the unit of consistent, lock-free recording.
// Not part of the API.
//
// A shard is an array of words: word 0 is `count_and_hot` (bit 63: which of the two copies is
// hot; bits 0-62: how many observations have started), then two copies, each
// [count][sum as double bits][bucket 0]...[bucket n-1]. This is client_golang's hot/cold scheme
// (its PR #457), changed so that the reader never writes into a copy:
//
// Writer: `n = count_and_hot.fetch_add(1, acquire)` picks the hot copy; it adds to one bucket and
//   to the sum, then increments the copy's count with release, the signal that it is complete.
//   A shard with a single writer (a thread slot's own shard) does these three updates with plain
//   loads and stores; the shared shard uses atomic read-modify-writes. One LOCK'd instruction per
//   observation in the single-writer case, on a line no other writer touches.
// Reader (one at a time per series): the cold copy is stable between scrapes (no writer is inside
//   it). It reads the cold copy's count `c`, flips the hot bit with an acq_rel RMW, which returns
//   the number `n` of observations started on both copies; the copy that was hot has seen `n - c`
//   of them start, so the reader waits (yielding, never blocking a writer) until that copy's count
//   reaches `n - c` (acquire: every bucket and sum update of those observations is now visible),
//   reads it, and flips again to read the other copy the same way. No observation lands in the
//   first copy between the two flips, so copy A at flip 1 plus copy B at flip 2 is exactly the
//   histogram as of flip 2: `_count` equals the sum of the buckets and the `+Inf` bucket, and
//   `_sum` covers the same observations. After the scrape the original hot copy is hot again and
//   the other one is stable, which is the invariant the next scrape starts from.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "bentoml/metrics/detail/counter_cell.hpp"

namespace bentoml::metrics::detail {

/// A consistent reading of a histogram: per-bucket (non-cumulative) counts, count and sum.
struct HistogramReading {
  std::uint64_t* buckets;  ///< bucket_count entries, caller-provided, added to
  std::uint64_t count = 0;
  double sum = 0;
};

class HistogramShard {
 public:
  static constexpr std::uint64_t kHotBit = std::uint64_t{1} << 63;

  /// Words a shard of `bucket_count` buckets needs.
  static constexpr std::size_t words(std::size_t bucket_count) noexcept {
    return 1 + 2 * (2 + bucket_count);
  }

  HistogramShard(std::atomic<std::uint64_t>* words, std::size_t bucket_count) noexcept
      : words_(words), bucket_count_(bucket_count) {}

  /// Records one observation; the calling thread must be this shard's only writer.
  void observe_single_writer(std::size_t bucket, double value) const noexcept {
    const std::uint64_t started = words_[0].fetch_add(1, std::memory_order_acquire);
    std::atomic<std::uint64_t>* copy = copy_words(started >> 63);
    single_writer_add(copy[2 + bucket], 1);
    copy[1].store(double_to_bits(bits_to_double(copy[1].load(std::memory_order_relaxed)) + value),
                  std::memory_order_relaxed);
    copy[0].store(copy[0].load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  /// Records one observation; any number of threads may write at once.
  void observe_shared(std::size_t bucket, double value) const noexcept {
    const std::uint64_t started = words_[0].fetch_add(1, std::memory_order_acquire);
    std::atomic<std::uint64_t>* copy = copy_words(started >> 63);
    copy[2 + bucket].fetch_add(1, std::memory_order_relaxed);
    atomic_add_double(copy[1], value);
    copy[0].fetch_add(1, std::memory_order_release);
  }

  /// Adds a consistent reading of this shard to `reading`. Callers serialize readers per shard.
  void read_into(HistogramReading& reading) const noexcept {
    read_cold_after_flip(reading);
    read_cold_after_flip(reading);
  }

 private:
  std::atomic<std::uint64_t>* copy_words(std::uint64_t index) const noexcept {
    return words_ + 1 + index * (2 + bucket_count_);
  }

  void read_cold_after_flip(HistogramReading& reading) const noexcept {
    const std::uint64_t hot_before = words_[0].load(std::memory_order_relaxed) >> 63;
    std::atomic<std::uint64_t>* cold = copy_words(hot_before ^ 1);
    // The cold copy is stable: only observations that started on it wrote it, and the previous
    // read waited for all of them.
    const std::uint64_t cold_count = cold[0].load(std::memory_order_acquire);
    const std::uint64_t flipped = words_[0].fetch_add(kHotBit, std::memory_order_acq_rel);
    const std::uint64_t started = flipped & ~kHotBit;
    std::atomic<std::uint64_t>* was_hot = copy_words(flipped >> 63);
    const std::uint64_t expected = started - cold_count;
    while (was_hot[0].load(std::memory_order_acquire) != expected) std::this_thread::yield();
    reading.count += expected;
    reading.sum += bits_to_double(was_hot[1].load(std::memory_order_relaxed));
    for (std::size_t i = 0; i < bucket_count_; ++i) {
      reading.buckets[i] += was_hot[2 + i].load(std::memory_order_relaxed);
    }
  }

  std::atomic<std::uint64_t>* words_;
  std::size_t bucket_count_;
};

}  // namespace bentoml::metrics::detail
