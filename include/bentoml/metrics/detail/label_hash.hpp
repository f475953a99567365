// Internal: hashing label values as the caller passed them. Not part of the API.
//
// Eight bytes at a time with a multiply-xorshift mix: a lookup hashes its values on every call,
// so this is on the hot path. A hash only picks where to look: every hit is confirmed by
// comparing the full values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/labels.hpp"

namespace bentoml::metrics::detail {

inline std::uint64_t mix_word(std::uint64_t hash, std::uint64_t word) noexcept {
  hash = (hash ^ word) * 0x9E3779B97F4A7C15ULL;
  return hash ^ (hash >> 29);
}

/// Loads 1..8 bytes at `bytes` into a word without reading past them (no memcpy call for the
/// variable length: two overlapping fixed-size loads, as in wyhash).
inline std::uint64_t load_short(const char* bytes, std::size_t size) noexcept {
  if (size >= 4) {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, bytes, 4);
    std::memcpy(&tail, bytes + size - 4, 4);
    return (std::uint64_t{head} << 32) | tail;
  }
  const auto byte = [bytes](std::size_t index) {
    return std::uint64_t{static_cast<unsigned char>(bytes[index])};
  };
  return (byte(0) << 16) | (byte(size >> 1) << 8) | byte(size - 1);
}

inline std::uint64_t hash_value(std::uint64_t hash, std::string_view value) noexcept {
  const char* bytes = value.data();
  std::size_t left = value.size();
  // The length goes into the last word, so "ab","c" and "a","bc" differ: one mix a short value.
  const std::uint64_t length = static_cast<std::uint64_t>(left) << 56;
  while (left > 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    hash = mix_word(hash, word);
    bytes += 8;
    left -= 8;
  }
  return mix_word(hash, (left == 0 ? 0 : load_short(bytes, left)) ^ length);
}

/// Values up to this many bytes compare without a memcmp call (same_short_bytes).
inline constexpr std::size_t kShortValue = 16;

/// Whether two values of the same `size` (at most kShortValue) are equal, by comparing two
/// overlapping loads of each (no reading past either value).
inline bool same_short_bytes(const char* a, const char* b, std::size_t size) noexcept {
  const auto differ = [a, b](auto word, std::size_t at) {
    decltype(word) left;
    decltype(word) right;
    std::memcpy(&left, a + at, sizeof left);
    std::memcpy(&right, b + at, sizeof right);
    return left ^ right;
  };
  if (size >= 8) return (differ(std::uint64_t{}, 0) | differ(std::uint64_t{}, size - 8)) == 0;
  if (size >= 4) return (differ(std::uint32_t{}, 0) | differ(std::uint32_t{}, size - 4)) == 0;
  if (size == 0) return true;
  return a[0] == b[0] && a[size >> 1] == b[size >> 1] && a[size - 1] == b[size - 1];
}

/// Whether two values of the same `size` are equal.
inline bool same_bytes(const char* a, const char* b, std::size_t size) noexcept {
  if (size > kShortValue) return std::memcmp(a, b, size) == 0;
  return same_short_bytes(a, b, size);
}

/// A label value as a view, whether the caller's LabelValue or a stored string_view.
inline std::string_view label_view(std::string_view value) noexcept { return value; }
inline std::string_view label_view(const LabelValue& value) noexcept { return value.view(); }

/// The hash of a list of label values, in label-name order.
template <class Value>
BENTOML_METRICS_ALWAYS_INLINE std::uint64_t hash_values(const Value* values,
                                                        std::size_t count) noexcept {
  std::uint64_t hash = 0x243F6A8885A308D3ULL;
  for (std::size_t i = 0; i < count; ++i) hash = hash_value(hash, label_view(values[i]));
  return hash ^ (hash >> 32);
}

}  // namespace bentoml::metrics::detail
