// Number formatting with prometheus_client's exact bytes.
//
// `append_python_repr` writes Python's repr(float): the shortest digits that round-trip (from
// std::to_chars), positional for exponents -4..15, scientific otherwise (`1e-05`, `1e+16`).
// `append_go_float` writes prometheus_client's floatToGoString: `+Inf`, `-Inf`, `NaN`, and
// positive numbers with more than six integer digits in Go's exponent style (`1e+06`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace bentoml::metrics::detail {

/// Room the write_* functions need at `out`: no number they write is longer.
inline constexpr std::size_t kMaxNumberChars = 48;

/// Copies `text` to `out` and returns the end: the raw-memory counterpart of std::string's
/// append, for the number writers and the exposition's lines.
inline char* write_text(char* out, std::string_view text) noexcept {
  const char* from = text.data();
  const std::size_t size = text.size();
  // Up to 16 bytes (names, label values, suffixes: nearly every piece) as two overlapping
  // fixed-size copies, which compile to a few moves; a memcpy call costs more than the copy.
  const auto copy = [&](auto word) {
    std::memcpy(&word, from, sizeof word);
    std::memcpy(out, &word, sizeof word);
    std::memcpy(&word, from + size - sizeof word, sizeof word);
    std::memcpy(out + size - sizeof word, &word, sizeof word);
  };
  if (size >= 8) {
    if (size > 16) {
      std::memcpy(out, from, size);
    } else {
      copy(std::uint64_t{});
    }
  } else if (size >= 4) {
    copy(std::uint32_t{});
  } else if (size != 0) {  // an empty view's data may be null: nothing is read then
    out[0] = from[0];
    out[size / 2] = from[size / 2];
    out[size - 1] = from[size - 1];
  }
  return out + size;
}

void append_python_repr(std::string& out, double value);
void append_go_float(std::string& out, double value);
/// The same into raw memory with kMaxNumberChars of room; returns the end of what it wrote.
char* write_go_float(char* out, double value);
/// A counter total: exact integer digits past 2^53 (a double would round), else go-float.
char* write_counter_value(char* out, std::uint64_t whole, double fraction);

}  // namespace bentoml::metrics::detail
