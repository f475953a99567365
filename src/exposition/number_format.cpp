// See number_format.hpp. Written to match CPython's float_repr_style "short" and
// prometheus_client.utils.floatToGoString byte for byte; the exposition tests compare them.
#include "number_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace bentoml::metrics::detail {

namespace {

/// Writes Python's repr(value) for a finite value into `out` (room for 32 chars); returns the end.
char* write_python_repr(char* out, double value) {
  char buffer[40];
  // Scientific shortest round-trip: "-d.ddde+XX". Split it into sign, digits and exponent.
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const char* cursor = buffer;
  if (*cursor == '-') {
    *out++ = '-';
    ++cursor;
  }
  char digits[24] = {};  // to_chars writes at least one digit; zeroed for the analyzer
  int digit_count = 0;
  while (cursor < result.ptr && *cursor != 'e') {
    if (*cursor != '.') digits[digit_count++] = *cursor;
    ++cursor;
  }
  // The exponent: "e-05" or "e+16" (to_chars does not terminate the buffer).
  const bool negative_exponent = cursor[1] == '-';
  int exponent = 0;
  std::from_chars(cursor + 2, result.ptr, exponent);
  if (negative_exponent) exponent = -exponent;
  if (exponent >= -4 && exponent < 16) {  // CPython's repr: positional in this range
    if (exponent >= 0) {
      for (int i = 0; i <= exponent; ++i) *out++ = i < digit_count ? digits[i] : '0';
      *out++ = '.';
      if (digit_count > exponent + 1) {
        for (int i = exponent + 1; i < digit_count; ++i) *out++ = digits[i];
      } else {
        *out++ = '0';
      }
    } else {
      *out++ = '0';
      *out++ = '.';
      for (int i = 0; i < -exponent - 1; ++i) *out++ = '0';
      for (int i = 0; i < digit_count; ++i) *out++ = digits[i];
    }
    return out;
  }
  *out++ = digits[0];
  if (digit_count > 1) {
    *out++ = '.';
    for (int i = 1; i < digit_count; ++i) *out++ = digits[i];
  }
  *out++ = 'e';
  *out++ = exponent < 0 ? '-' : '+';
  const int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) *out++ = '0';
  return std::to_chars(out, out + 8, magnitude).ptr;
}

/// The eight decimal digits of `number` (below 10^8), zero-padded, as ASCII in a word whose
/// lowest byte is the first digit (memory order on a little-endian machine). Every lane at
/// once: the two halves of four digits, then pairs, then digits, each by a multiply and shift
/// that divides exactly in its range (x * 10486 >> 20 is x / 100 below 10^4, x * 103 >> 10 is
/// x / 10 below 100). A scrape writes two of these a `_created` line, without a byte-wise
/// loop or a store a later load must wait for.
std::uint64_t eight_digits(std::uint32_t number) noexcept {
  std::uint64_t lanes = (number / 10000) | (std::uint64_t{number % 10000} << 32);
  const std::uint64_t hundreds = ((lanes * 10486) >> 20) & 0x0000007F0000007FULL;
  lanes = hundreds | ((lanes - hundreds * 100) << 16);
  const std::uint64_t tens = ((lanes * 103) >> 10) & 0x000F000F000F000FULL;
  lanes = tens | ((lanes - tens * 10) << 8);
  return lanes + 0x3030303030303030ULL;
}

/// `_created` times, which unix_time_now_in_microseconds() records at microsecond resolution:
/// when `value` (in [10^9, 2^32)) is the double nearest to a whole number of microseconds m,
/// writes floatToGoString(value) from m's digits without a shortest-digits search and returns
/// the end of what it wrote (null, and nothing written, otherwise). Why that is Python's repr:
/// below 2^32 a double's spacing is under 5e-7, so its rounding interval (narrower than 1e-6)
/// holds no other decimal with six places or fewer; the shortest digits that round-trip are
/// therefore m's, trailing zeros dropped. Ten integer digits put it in Go's exponent style:
/// "1.701234567890123e+09".
char* write_microsecond_time(char* out, double value) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const auto micros = static_cast<std::uint64_t>(value * 1e6 + 0.5);
  if (static_cast<double>(micros) / 1e6 != value) return nullptr;  // division rounds correctly
  // m has 16 digits (10^15 <= m < 2^32 * 10^6): two words of eight.
  const std::uint64_t first = eight_digits(static_cast<std::uint32_t>(micros / 100000000));
  const std::uint64_t second = eight_digits(static_cast<std::uint32_t>(micros % 100000000));
  // Trailing '0' digits are the high zero bytes after XOR with '0's (the first digit is not 0).
  constexpr std::uint64_t kZeros = 0x3030303030303030ULL;
  int kept = 0;  // digits written after the first
  if (second != kZeros) {
    kept = 15 - __builtin_clzll(second ^ kZeros) / 8;
  } else if ((first ^ kZeros) >> 8 != 0) {
    kept = 7 - __builtin_clzll(first ^ kZeros) / 8;
  }
  *out = static_cast<char>(first & 0xFF);
  if (kept == 0) {
    std::memcpy(out + 1, "e+09", 4);
    return out + 5;
  }
  out[1] = '.';
  // All 15 digits go in (the buffer holds kMaxNumberChars); only `kept` of them count.
  const std::uint64_t rest = first >> 8;
  std::memcpy(out + 2, &rest, 8);
  std::memcpy(out + 9, &second, 8);
  out += 2 + kept;
  std::memcpy(out, "e+09", 4);
  return out + 4;
#else
  (void)out;
  (void)value;
  return nullptr;  // the general path
#endif
}

}  // namespace

void append_python_repr(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "nan";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "inf" : "-inf";
    return;
  }
  char text[48];
  out.append(text, write_python_repr(text, value));
}

char* write_go_float(char* out, double value) {
  if (std::isnan(value)) return write_text(out, "NaN");
  if (std::isinf(value)) return write_text(out, value > 0 ? "+Inf" : "-Inf");
  // Fast path for the common case, whole numbers below a million: "42.0".
  if (value > -1e6 && value < 1e6 && !(value == 0 && std::signbit(value))) {
    const auto whole = static_cast<std::int64_t>(value);
    if (static_cast<double>(whole) == value) {
      out = std::to_chars(out, out + 24, whole).ptr;
      return write_text(out, ".0");
    }
  }
  if (value >= 1e9 && value < 4294967296.0) {
    if (char* end = write_microsecond_time(out, value)) return end;
  }
  char repr[48] = {};  // zeroed for the analyzer: write_python_repr fills what find() reads
  char* const repr_end = write_python_repr(repr, value);
  char* const dot = std::find(repr, repr_end, '.');
  const auto dot_at = static_cast<std::size_t>(dot - repr);
  if (value <= 0 || dot == repr_end || dot_at <= 6) return std::copy(repr, repr_end, out);
  // Go switches to exponents sooner than Python: 1234567.0 -> 1.234567e+06 (prometheus_client's
  // own rule, including its "e+0" prefix for every exponent).
  char* const mantissa = out;
  *out++ = repr[0];
  *out++ = '.';
  out = std::copy(repr + 1, dot, out);
  out = std::copy(dot + 1, repr_end, out);
  while (out > mantissa && (out[-1] == '0' || out[-1] == '.')) --out;
  out = write_text(out, "e+0");
  return std::to_chars(out, out + 8, dot_at - 1).ptr;
}

void append_go_float(std::string& out, double value) {
  char text[kMaxNumberChars];
  out.append(text, write_go_float(text, value));
}

char* write_counter_value(char* out, std::uint64_t whole, double fraction) {
  constexpr std::uint64_t kExactDoubleLimit = std::uint64_t{1} << 53;
  if (whole > kExactDoubleLimit && fraction == 0) {
    out = std::to_chars(out, out + 24, whole).ptr;
    return write_text(out, ".0");
  }
  return write_go_float(out, static_cast<double>(whole) + fraction);
}

}  // namespace bentoml::metrics::detail
