// Which bytes of a label value the exposition formats escape: shared by the label block (which
// notes once, when a child is made, whether its values have any) and the writers.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace bentoml::metrics::detail {

/// Whether `c` is escaped in a label value: a backslash, a double quote or a newline.
inline bool is_escaped_byte(char c) noexcept { return c == '\\' || c == '"' || c == '\n'; }

/// Whether any of the eight bytes of `word` is one is_escaped_byte() names (a zero byte after
/// XOR with each: the classic exact "has a zero byte" test).
inline bool has_escaped_byte(std::uint64_t word) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  return (has_zero(word ^ (kOnes * '\\')) | has_zero(word ^ (kOnes * '"')) |
          has_zero(word ^ (kOnes * '\n'))) != 0;
}

/// Whether `value` has a byte to escape; eight bytes a step.
inline bool needs_escaping(std::string_view value) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, value.data() + i, sizeof word);
    if (has_escaped_byte(word)) return true;
  }
  for (; i < value.size(); ++i) {
    if (is_escaped_byte(value[i])) return true;
  }
  return false;
}

}  // namespace bentoml::metrics::detail
