// See number_format.hpp. Written to match CPython's float_repr_style "short" and
// prometheus_client.utils.floatToGoString byte for byte; the exposition tests compare them.
#include "number_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace bentoml::metrics::detail {

void append_python_repr(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "nan";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "inf" : "-inf";
    return;
  }
  char buffer[40];
  // Scientific shortest round-trip: "-d.ddde+XX". Split it into sign, digits and exponent.
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value,
                                     std::chars_format::scientific);
  const char* cursor = buffer;
  if (*cursor == '-') {
    out += '-';
    ++cursor;
  }
  char digits[24];
  int digit_count = 0;
  while (cursor < result.ptr && *cursor != 'e') {
    if (*cursor != '.') digits[digit_count++] = *cursor;
    ++cursor;
  }
  // The exponent: "e-05" or "e+16" (to_chars does not terminate the buffer).
  const char* exponent_text = cursor + 1;
  const bool negative_exponent = *exponent_text == '-';
  int exponent = 0;
  std::from_chars(exponent_text + 1, result.ptr, exponent);
  if (negative_exponent) exponent = -exponent;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      for (int i = 0; i <= exponent; ++i) out += i < digit_count ? digits[i] : '0';
      out += '.';
      if (digit_count > exponent + 1) {
        out.append(digits + exponent + 1, digit_count - exponent - 1);
      } else {
        out += '0';
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out.append(digits, digit_count);
    }
    return;
  }
  out += digits[0];
  if (digit_count > 1) {
    out += '.';
    out.append(digits + 1, digit_count - 1);
  }
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = std::abs(exponent);
  if (magnitude < 10) out += '0';
  char magnitude_text[8];
  const auto end = std::to_chars(magnitude_text, magnitude_text + sizeof magnitude_text, magnitude);
  out.append(magnitude_text, end.ptr);
}

void append_go_float(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Fast path for the common case, whole numbers below a million: "42.0".
  if (value > -1e6 && value < 1e6 && !(value == 0 && std::signbit(value))) {
    const auto whole = static_cast<std::int64_t>(value);
    if (static_cast<double>(whole) == value) {
      char text[24];
      const auto end = std::to_chars(text, text + sizeof text, whole);
      out.append(text, end.ptr);
      out += ".0";
      return;
    }
  }
  const std::size_t start = out.size();
  append_python_repr(out, value);
  const std::size_t dot = out.find('.', start);
  if (value <= 0 || dot == std::string::npos || dot - start <= 6) return;
  // Go switches to exponents sooner than Python: 1234567.0 -> 1.234567e+06 (Python's own rule,
  // including its "e+0" prefix for every exponent).
  const std::string repr = out.substr(start);
  const std::size_t dot_at = dot - start;
  std::string mantissa;
  mantissa += repr[0];
  mantissa += '.';
  mantissa.append(repr, 1, dot_at - 1);
  mantissa.append(repr, dot_at + 1, std::string::npos);
  while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) {
    mantissa.pop_back();
  }
  out.resize(start);
  out += mantissa;
  out += "e+0";
  char exponent_text[8];
  const auto end = std::to_chars(exponent_text, exponent_text + sizeof exponent_text, dot_at - 1);
  out.append(exponent_text, end.ptr);
}

void append_counter_value(std::string& out, std::uint64_t whole, double fraction) {
  constexpr std::uint64_t kExactDoubleLimit = std::uint64_t{1} << 53;
  if (whole > kExactDoubleLimit && fraction == 0) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, whole);
    out.append(text, end.ptr);
    out += ".0";
    return;
  }
  append_go_float(out, static_cast<double>(whole) + fraction);
}

}  // namespace bentoml::metrics::detail
