// Reading a histogram shard without waiting for writers; see histogram_shard.hpp for the
// protocol and its correctness argument.
#include "bentoml/metrics/detail/histogram_shard.hpp"

namespace bentoml::metrics::detail {
namespace {

/// How often the reader checks whether the observations in flight on a copy have completed
/// before it falls back to the last complete reading. A running writer completes an observation
/// in a few nanoseconds; 256 checks with a pause between them take a few microseconds, so a
/// scrape of N shards never waits more than N times that, whatever the writers do.
constexpr int kCompletionChecks = 256;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Whether `count` reaches `expected` within the bounded wait (acquire: the completed
/// observations' bucket and sum updates are then visible).
bool completes(const std::atomic<std::uint64_t>& count, std::uint64_t expected) noexcept {
  for (int check = 0; check < kCompletionChecks; ++check) {
    if (count.load(std::memory_order_acquire) == expected) return true;
    cpu_relax();
  }
  return count.load(std::memory_order_acquire) == expected;
}

/// Adds a stored reading ([count][sum][buckets...]) to `reading`.
void add_stored(const std::atomic<std::uint64_t>* stored, std::size_t bucket_count,
                HistogramReading& reading) noexcept {
  reading.count += stored[HistogramShard::kCount].load(std::memory_order_relaxed);
  reading.sum += bits_to_double(stored[HistogramShard::kSum].load(std::memory_order_relaxed));
  for (std::size_t i = 0; i < bucket_count; ++i) {
    reading.buckets[i] += stored[HistogramShard::kFirstBucket + i].load(std::memory_order_relaxed);
  }
}

}  // namespace

void HistogramShard::read_into(HistogramReading& reading) const noexcept {
  const std::uint64_t waiting = pending().load(std::memory_order_relaxed);
  if (waiting != 0) {
    const std::atomic<std::uint64_t>* copy = copy_at((waiting & kPendingCopyBit) != 0 ? 1 : 0);
    if (!completes(copy[kCount], waiting & kPendingCountMask)) {
      add_stored(last_reading(), bucket_count_, reading);  // 4b, again
      return;
    }
    pending().store(0, std::memory_order_relaxed);  // that copy is cold, complete and stable
  }
  // 1. The cold copy: only this reader flips, so the hot bit cannot change under us.
  const std::uint64_t hot = words_[kStarted].load(std::memory_order_relaxed) >> 63;
  const std::atomic<std::uint64_t>* cold = copy_at(hot ^ 1);
  const std::uint64_t cold_count = cold[kCount].load(std::memory_order_acquire);
  const double cold_sum = bits_to_double(cold[kSum].load(std::memory_order_relaxed));
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    reading.scratch[i] = cold[kFirstBucket + i].load(std::memory_order_relaxed);
  }
  // 2. The flip.
  const std::uint64_t flipped = words_[kStarted].fetch_add(kHotBit, std::memory_order_acq_rel);
  const std::uint64_t expected = (flipped & ~kHotBit) - cold_count;
  const std::atomic<std::uint64_t>* was_hot = copy_at(hot);
  // 3. The bounded wait.
  if (!completes(was_hot[kCount], expected)) {
    pending().store(kPendingBit | (hot != 0 ? kPendingCopyBit : 0) | expected,
                    std::memory_order_relaxed);
    add_stored(last_reading(), bucket_count_, reading);  // 4b
    return;
  }
  // 4a. C + W, kept as the last complete reading.
  std::atomic<std::uint64_t>* last = last_reading();
  const std::uint64_t count = cold_count + expected;
  const double sum = cold_sum + bits_to_double(was_hot[kSum].load(std::memory_order_relaxed));
  last[kCount].store(count, std::memory_order_relaxed);
  last[kSum].store(double_to_bits(sum), std::memory_order_relaxed);
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    const std::uint64_t bucket =
        reading.scratch[i] + was_hot[kFirstBucket + i].load(std::memory_order_relaxed);
    last[kFirstBucket + i].store(bucket, std::memory_order_relaxed);
    reading.buckets[i] += bucket;
  }
  reading.count += count;
  reading.sum += sum;
}

void HistogramShard::after_fork_in_child() const noexcept {
  // Writers increment a bucket before the count (the count's release orders it), so a copy's
  // buckets hold at least its count; any surplus comes from observations in flight at the fork,
  // whose threads do not exist here. Counting them keeps `_count` equal to the buckets.
  std::uint64_t started = 0;
  std::atomic<std::uint64_t>* last = last_reading();
  for (std::size_t i = 0; i < copy_words(bucket_count_); ++i) {
    last[i].store(0, std::memory_order_relaxed);
  }
  double sum = 0;
  for (std::uint64_t index = 0; index < 2; ++index) {
    std::atomic<std::uint64_t>* copy = copy_at(index);
    std::uint64_t in_buckets = 0;
    for (std::size_t i = 0; i < bucket_count_; ++i) {
      const std::uint64_t bucket = copy[kFirstBucket + i].load(std::memory_order_relaxed);
      in_buckets += bucket;
      last[kFirstBucket + i].store(last[kFirstBucket + i].load(std::memory_order_relaxed) + bucket,
                                   std::memory_order_relaxed);
    }
    copy[kCount].store(in_buckets, std::memory_order_relaxed);
    started += in_buckets;
    sum += bits_to_double(copy[kSum].load(std::memory_order_relaxed));
  }
  last[kCount].store(started, std::memory_order_relaxed);
  last[kSum].store(double_to_bits(sum), std::memory_order_relaxed);
  const std::uint64_t hot_bit = words_[kStarted].load(std::memory_order_relaxed) & kHotBit;
  words_[kStarted].store(hot_bit | started, std::memory_order_relaxed);
  pending().store(0, std::memory_order_relaxed);
}

}  // namespace bentoml::metrics::detail
