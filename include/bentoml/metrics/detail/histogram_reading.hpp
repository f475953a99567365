// Internal: what a reading of a histogram series adds up, and the layout a stored reading
// shares with the shards. Not part of the API.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/double_bits.hpp"

namespace bentoml::metrics::detail {

/// A consistent reading of a histogram: per-bucket (non-cumulative) counts, count and sum.
struct HistogramReading {
  std::uint64_t* buckets;  ///< bucket_count entries, caller-provided, added to
  std::uint64_t* scratch;  ///< reading_words(bucket_count) entries, overwritten
  std::uint64_t count = 0;
  double sum = 0;
};

// A stored reading is reading_words(bucket_count) words: [count][sum as double bits][bucket 0]...
inline constexpr std::size_t kReadingCount = 0;
inline constexpr std::size_t kReadingSum = 1;
inline constexpr std::size_t kReadingFirstBucket = 2;

constexpr std::size_t reading_words(std::size_t bucket_count) noexcept {
  return kReadingFirstBucket + bucket_count;
}

inline std::uint64_t word_value(std::uint64_t word) noexcept { return word; }
inline std::uint64_t word_value(const std::atomic<std::uint64_t>& word) noexcept {
  return word.load(std::memory_order_relaxed);
}

/// Adds the stored reading `stored` (plain words or atomic ones) to `reading`.
template <class Word>
void add_stored_reading(const Word* stored, std::size_t bucket_count,
                        HistogramReading& reading) noexcept {
  reading.count += word_value(stored[kReadingCount]);
  reading.sum += bits_to_double(word_value(stored[kReadingSum]));
  for (std::size_t i = 0; i < bucket_count; ++i) {
    reading.buckets[i] += word_value(stored[kReadingFirstBucket + i]);
  }
}

}  // namespace bentoml::metrics::detail
