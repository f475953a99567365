// Times since the epoch at microsecond resolution (what every `_created` records)
// take a fast path in append_go_float; its bytes must stay prometheus_client's floatToGoString.
// Expected strings from /usr/bin/python3 with prometheus_client.utils.floatToGoString.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <random>
#include <string>

#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "exposition/number_format.hpp"

namespace detail = bentoml::metrics::detail;

namespace {
std::string go_float(double value) {
  std::string out;
  detail::append_go_float(out, value);
  return out;
}
}  // namespace

TEST(NumberFormat, MicrosecondTimesAreWrittenAsPrometheusClientWritesThem) {
  EXPECT_EQ(go_float(1701234567.890123), "1.701234567890123e+09");
  EXPECT_EQ(go_float(1701234567.0), "1.701234567e+09");
  EXPECT_EQ(go_float(1700000000.5), "1.7000000005e+09");
  EXPECT_EQ(go_float(1000000000.0), "1e+09");
  EXPECT_EQ(go_float(4294967295.999999), "4.294967295999999e+09");
  EXPECT_EQ(go_float(1701234567.000001), "1.701234567000001e+09");
  EXPECT_EQ(go_float(1701234567.1), "1.7012345671e+09");
  // Not a whole number of microseconds: the shortest-digits path.
  EXPECT_EQ(go_float(1701234567.8901234), "1.7012345678901234e+09");
  EXPECT_EQ(go_float(1000000000.25), "1.00000000025e+09");
}

TEST(NumberFormat, CreatedTimesAreWholeNumbersOfMicroseconds) {
  const double now = detail::unix_time_now_in_microseconds();
  const auto micros = static_cast<long long>(now * 1e6 + 0.5);
  EXPECT_EQ(static_cast<double>(micros) / 1e6, now);
}

TEST(NumberFormat, EveryMicrosecondTimeMatchesTheShortestRoundTripDigits) {
  // The fast path against the shortest digits that round-trip (std::to_chars), in the exponent
  // form prometheus_client writes for ten integer digits: random times over the whole range it
  // takes, and times with every count of trailing zero digits.
  std::mt19937_64 generator(7);
  std::uniform_int_distribution<std::uint64_t> micros(1000000000000000ULL, 4294967295999999ULL);
  const auto expected = [](double value) {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific);
    return std::string(text, end.ptr);
  };
  for (int i = 0; i < 200000; ++i) {
    std::uint64_t m = micros(generator);
    if (i % 4 == 0) {  // force trailing zeros: 1 to 15 of them
      std::uint64_t scale = 1;
      for (int zeros = 1 + i / 4 % 15; zeros > 0; --zeros) scale *= 10;
      m = m / scale * scale;
      if (m < 1000000000000000ULL) continue;
    }
    const double value = static_cast<double>(m) / 1e6;
    ASSERT_EQ(go_float(value), expected(value)) << m;
  }
}
