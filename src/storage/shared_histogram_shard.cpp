// Reading a shared histogram shard without waiting for writers; see shared_histogram_shard.hpp
// for the protocol and its correctness argument.
#include "bentoml/metrics/detail/shared_histogram_shard.hpp"

#include <algorithm>
#include <cstdint>
#include <new>
#include <thread>

#include "storage/spin_wait.hpp"

namespace bentoml::metrics::detail {
namespace {

/// Whether `count` reaches `expected` within the bounded wait (acquire: the completed
/// observations' bucket and sum updates are then visible).
bool completes(const std::atomic<std::uint64_t>& count, std::uint64_t expected) noexcept {
  for (int check = 0; check < kCompletionChecks; ++check) {
    if (count.load(std::memory_order_acquire) == expected) return true;
    cpu_relax();
  }
  return count.load(std::memory_order_acquire) == expected;
}

}  // namespace

SharedHistogramShard::SideRecord* SharedHistogramShard::side_or_new() const noexcept {
  if (SideRecord* record = side()) return record;
  const std::size_t bytes =
      sizeof(SideRecord) + (copy_words(bucket_count_) - 1) * sizeof(std::uint64_t);
  void* memory = ::operator new(bytes, std::nothrow);
  if (memory == nullptr) return nullptr;
  // `bytes` covers copy_words(bucket_count_) entries of `last` (at least 3): the analyzer
  // cannot see that.
  auto* record = new (memory) SideRecord();  // NOLINT(clang-analyzer-cplusplus.PlacementNew)
  side_word().store(reinterpret_cast<std::uintptr_t>(record), std::memory_order_relaxed);
  return record;
}

void SharedHistogramShard::release() const noexcept {
  if (SideRecord* record = side()) {
    record->~SideRecord();
    ::operator delete(record);
    side_word().store(0, std::memory_order_relaxed);
  }
}

void SharedHistogramShard::fold_into(std::atomic<std::uint64_t>* to,
                               const std::uint64_t* from) const noexcept {
  to[kCount].store(to[kCount].load(std::memory_order_relaxed) + from[kCount],
                   std::memory_order_relaxed);
  to[kSum].store(double_to_bits(bits_to_double(to[kSum].load(std::memory_order_relaxed)) +
                                bits_to_double(from[kSum])),
                 std::memory_order_relaxed);
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    to[kFirstBucket + i].store(
        to[kFirstBucket + i].load(std::memory_order_relaxed) + from[kFirstBucket + i],
        std::memory_order_relaxed);
  }
}

void SharedHistogramShard::read_into(HistogramReading& reading) const noexcept {
  if (SideRecord* record = side(); record != nullptr && record->pending) {
    std::atomic<std::uint64_t>* waited = copy_at(record->copy);
    if (!completes(waited[kCount], record->expected)) {
      add_stored_reading(record->last, bucket_count_, reading);  // 4b, again
      return;
    }
    fold_into(waited, record->last);  // the invariant again: the cold copy holds the total
    record->pending = false;
  }
  // 1. Copy the cold copy (the total T) aside and zero it. Only this reader flips, so the hot
  // bit cannot change under us.
  const std::uint64_t hot = words_[kStarted].load(std::memory_order_relaxed) >> 63;
  std::atomic<std::uint64_t>* cold = copy_at(hot ^ 1);
  std::uint64_t* total = reading.scratch;  // [count][sum][buckets...]
  for (std::size_t i = 0; i < copy_words(bucket_count_); ++i) {
    total[i] = cold[i].load(std::memory_order_relaxed);
    cold[i].store(0, std::memory_order_relaxed);
  }
  // 2. The flip (release: writers that start on the zeroed copy see the zeros).
  const std::uint64_t flipped =
      words_[kStarted].exchange((hot ^ 1) << 63, std::memory_order_acq_rel);
  const std::uint64_t expected = flipped & ~kHotBit;
  std::atomic<std::uint64_t>* was_hot = copy_at(hot);
  // 3. The bounded wait.
  if (!completes(was_hot[kCount], expected)) {
    if (SideRecord* record = side_or_new()) {  // 4b
      std::copy(total, total + copy_words(bucket_count_), record->last);
      record->copy = hot;
      record->expected = expected;
      record->pending = true;
      add_stored_reading(record->last, bucket_count_, reading);
      return;
    }
    // Out of memory for the side record: wait for the writers after all.
    while (was_hot[kCount].load(std::memory_order_acquire) != expected) {
      std::this_thread::yield();
    }
  }
  // 4a. W + T, kept in W, which is the cold copy from now on.
  fold_into(was_hot, total);
  const std::uint64_t count = was_hot[kCount].load(std::memory_order_relaxed);
  reading.count += count;
  reading.sum += bits_to_double(was_hot[kSum].load(std::memory_order_relaxed));
  for (std::size_t i = 0; i < bucket_count_; ++i) {
    reading.buckets[i] += was_hot[kFirstBucket + i].load(std::memory_order_relaxed);
  }
}

void SharedHistogramShard::after_fork_in_child() const noexcept {
  // Writers increment a bucket before the count (the count's release orders it), so a copy's
  // buckets hold at least its count; any surplus comes from observations in flight at the fork,
  // whose threads do not exist here. Counting them keeps `_count` equal to the buckets.
  const auto settle = [this](std::atomic<std::uint64_t>* copy) {
    std::uint64_t in_buckets = 0;
    for (std::size_t i = 0; i < bucket_count_; ++i) {
      in_buckets += copy[kFirstBucket + i].load(std::memory_order_relaxed);
    }
    copy[kCount].store(in_buckets, std::memory_order_relaxed);
    return in_buckets;
  };
  const std::uint64_t hot_bit = words_[kStarted].load(std::memory_order_relaxed) & kHotBit;
  const std::uint64_t hot_count = settle(copy_at(hot_bit >> 63));
  words_[kStarted].store(hot_bit | hot_count, std::memory_order_relaxed);
  if (SideRecord* record = side(); record != nullptr && record->pending) {
    std::atomic<std::uint64_t>* waited = copy_at(record->copy);
    settle(waited);
    fold_into(waited, record->last);
    record->pending = false;
  }
}

}  // namespace bentoml::metrics::detail
