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

namespace bentoml::metrics::detail {

inline std::uint64_t mix_word(std::uint64_t hash, std::uint64_t word) noexcept {
  hash = (hash ^ word) * 0x9E3779B97F4A7C15ULL;
  return hash ^ (hash >> 29);
}

inline std::uint64_t hash_value(std::uint64_t hash, std::string_view value) noexcept {
  hash = mix_word(hash, value.size());
  const char* bytes = value.data();
  std::size_t left = value.size();
  while (left >= 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    hash = mix_word(hash, word);
    bytes += 8;
    left -= 8;
  }
  if (left > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes, left);
    hash = mix_word(hash, word);
  }
  return hash;
}

/// The hash of a list of label values, in label-name order.
inline std::uint64_t hash_values(const std::string_view* values, std::size_t count) noexcept {
  std::uint64_t hash = 0x243F6A8885A308D3ULL;
  for (std::size_t i = 0; i < count; ++i) hash = hash_value(hash, values[i]);
  return hash ^ (hash >> 32);
}

}  // namespace bentoml::metrics::detail
