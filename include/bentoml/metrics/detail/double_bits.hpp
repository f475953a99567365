// Internal: doubles stored as the bits of 64-bit atomic words, the form every floating-point cell
// (a counter's non-integral part, a gauge, a histogram's `_sum`) keeps its value in. Not part of
// the API.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

namespace bentoml::metrics::detail {

inline double bits_to_double(std::uint64_t bits) noexcept {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline std::uint64_t double_to_bits(double value) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

/// Adds `amount` to the double stored as bits in `word` (CAS loop; any number of writers).
inline void atomic_add_double(std::atomic<std::uint64_t>& word, double amount) noexcept {
  std::uint64_t old_bits = word.load(std::memory_order_relaxed);
  while (!word.compare_exchange_weak(old_bits, double_to_bits(bits_to_double(old_bits) + amount),
                                     std::memory_order_relaxed)) {
  }
}

/// Adds `amount` to a word that only the calling thread writes: load and store, no LOCK prefix.
inline void single_writer_add(std::atomic<std::uint64_t>& word, std::uint64_t amount) noexcept {
  word.store(word.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

}  // namespace bentoml::metrics::detail
