// Number formatting edge cases through the public API, in both exposition formats.
//
// The expected strings were computed with Debian's prometheus_client 0.16
// (`/usr/bin/python3 -c 'from prometheus_client.utils import floatToGoString; ...'`): Python's
// repr(float), turned into Go style for positive values with more than six integer digits,
// including prometheus_client's "e+0" prefix (1e15 -> "1e+015"). Where the library intentionally
// differs (exact counters past 2^53, docs/design.md) the test says so.
#include <bentoml/metrics.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ctime>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace metrics = bentoml::metrics;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The value written for `series` (the name and labels exactly as they start the line); the
/// exemplar, if any, is not part of it. Fails the test if the series is absent or repeated.
std::string value_of(const std::string& exposition, const std::string& series) {
  std::string found;
  int matches = 0;
  std::size_t line_start = 0;
  while (line_start < exposition.size()) {
    std::size_t line_end = exposition.find('\n', line_start);
    if (line_end == std::string::npos) line_end = exposition.size();
    const std::string line = exposition.substr(line_start, line_end - line_start);
    if (line.compare(0, series.size() + 1, series + " ") == 0) {
      found = line.substr(series.size() + 1);
      found = found.substr(0, found.find(" # "));
      ++matches;
    }
    line_start = line_end + 1;
  }
  EXPECT_EQ(matches, 1) << "series " << series << " in:\n" << exposition;
  return found;
}

std::string text_of(const metrics::Registry& registry) {
  return metrics::generate_latest(registry, metrics::Format::text_0_0_4);
}

std::string openmetrics_of(const metrics::Registry& registry) {
  return metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
}

struct Case {
  double value;
  const char* expected;  // floatToGoString(value), from prometheus_client 0.16
  const char* source;    // the value as written here, for failure messages
};

#define CASE(value, expected) \
  Case { value, expected, #value }

const std::vector<Case>& float_cases() {
  static const std::vector<Case> cases = {
      CASE(1e6, "1e+06"),
      CASE(1.5e6, "1.5e+06"),
      CASE(0.0022500000000000003, "0.0022500000000000003"),
      CASE(1e-05, "1e-05"),
      CASE(123456789.0, "1.23456789e+08"),
      CASE(299792458.0, "2.99792458e+08"),
      CASE(1e15, "1e+015"),
      CASE(4.5e15, "4.5e+015"),
      CASE(1000000000000000.5, "1.0000000000000005e+015"),
      CASE(1e15 - 1, "9.99999999999999e+014"),
      CASE(1e16, "1e+16"),
      CASE(1e21, "1e+21"),
      CASE(1e22, "1e+22"),
      CASE(1e+100, "1e+100"),
      CASE(123456789012345678.0, "1.2345678901234568e+17"),
      CASE(12345678901.5, "1.23456789015e+010"),
      CASE(10000000.5, "1.00000005e+07"),
      CASE(1234567.0, "1.234567e+06"),
      CASE(999999.0, "999999.0"),
      CASE(999999.5, "999999.5"),
      CASE(1200000.0, "1.2e+06"),
      CASE(1010000.0, "1.01e+06"),
      CASE(9007199254740992.0, "9.007199254740992e+015"),
      CASE(9999999999999998.0, "9.999999999999998e+015"),
      CASE(-1e6, "-1000000.0"),
      CASE(-123456789.0, "-123456789.0"),
      CASE(-1.7976931348623157e308, "-1.7976931348623157e+308"),
      CASE(-0.0, "-0.0"),
      CASE(0.0, "0.0"),
      CASE(1.0, "1.0"),
      CASE(100.0, "100.0"),
      CASE(0.5, "0.5"),
      CASE(-2.5, "-2.5"),
      CASE(3.14159, "3.14159"),
      CASE(123456.789, "123456.789"),
      CASE(5e-324, "5e-324"),
      CASE(1.5e-310, "1.5e-310"),
      CASE(2.2250738585072014e-308, "2.2250738585072014e-308"),
      CASE(1.7976931348623157e308, "1.7976931348623157e+308"),
      CASE(0.1 + 0.2, "0.30000000000000004"),
      CASE(1.0 / 3, "0.3333333333333333"),
      CASE(2.0 / 3, "0.6666666666666666"),
      CASE(1e-4 * 1.1, "0.00011000000000000002"),
      CASE(0.0001, "0.0001"),
      CASE(9.999999999999999e-05, "9.999999999999999e-05"),
      CASE(0.00001234, "1.234e-05"),
      CASE(-1e-05, "-1e-05"),
      CASE(1e-7, "1e-07"),
      CASE(kNaN, "NaN"),
      CASE(kInf, "+Inf"),
      CASE(-kInf, "-Inf"),
  };
  return cases;
}

TEST(NumberFormat, GaugeValuesAreFloatToGoStringInBothFormats) {
  for (const Case& c : float_cases()) {
    SCOPED_TRACE(c.source);
    metrics::Registry registry;
    metrics::Gauge gauge{{.name = "g", .documentation = "g", .registry = &registry}};
    gauge.set(c.value);
    EXPECT_EQ(value_of(text_of(registry), "g"), c.expected);
    EXPECT_EQ(value_of(openmetrics_of(registry), "g"), c.expected);
  }
}

TEST(NumberFormat, GaugeArithmeticKeepsEveryBit) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "g", .registry = &registry}};
  gauge.inc(0.1);
  gauge.inc(0.2);
  EXPECT_EQ(value_of(text_of(registry), "g"), "0.30000000000000004");
  gauge.dec(0.30000000000000004);
  EXPECT_EQ(value_of(text_of(registry), "g"), "0.0");
  gauge.dec(1e6);
  EXPECT_EQ(value_of(text_of(registry), "g"), "-1000000.0");
}

TEST(NumberFormat, HistogramBoundsAreFloatToGoStringInLe) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h",
       .documentation = "h",
       .buckets = {-2.5, -0.0, 1e-05, 0.0022500000000000003, 1.0, 1e6, 1234567.0, 1e15, 1e16, 1e22},
       .registry = &registry}};
  const std::string text = text_of(registry);
  const std::string om = openmetrics_of(registry);
  for (const char* le : {"-2.5", "-0.0", "1e-05", "0.0022500000000000003", "1.0", "1e+06",
                         "1.234567e+06", "1e+015", "1e+16", "1e+22", "+Inf"}) {
    const std::string series = std::string("h_bucket{le=\"") + le + "\"}";
    EXPECT_EQ(value_of(text, series), "0.0");
    EXPECT_EQ(value_of(om, series), "0.0");
  }
}

TEST(NumberFormat, HistogramAndSummarySumsAndCounts) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "h", .buckets = {1}, .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "s", .registry = &registry}};
  for (double value : {0.1, 0.2, 1e6}) {
    histogram.observe(value);
    summary.observe(value);
  }
  // 0.1 + 0.2 + 1e6 in Python: 1000000.3, floatToGoString 1.0000003e+06
  for (const std::string& text : {text_of(registry), openmetrics_of(registry)}) {
    EXPECT_EQ(value_of(text, "h_sum"), "1.0000003e+06");
    EXPECT_EQ(value_of(text, "h_count"), "3.0");
    EXPECT_EQ(value_of(text, "h_bucket{le=\"1.0\"}"), "2.0");
    EXPECT_EQ(value_of(text, "s_sum"), "1.0000003e+06");
    EXPECT_EQ(value_of(text, "s_count"), "3.0");
  }
  for (int i = 0; i < 1234567 - 3; ++i) summary.observe(0);
  EXPECT_EQ(value_of(text_of(registry), "s_count"), "1.234567e+06");  // counts in Go style too
}

TEST(NumberFormat, CounterValues) {
  metrics::Registry registry;
  metrics::Counter tenths{{.name = "tenths", .documentation = "c", .registry = &registry}};
  for (int i = 0; i < 3; ++i) tenths.inc(0.1);
  metrics::Counter million{{.name = "million", .documentation = "c", .registry = &registry}};
  million.inc(1e6);
  metrics::Counter mixed{{.name = "mixed", .documentation = "c", .registry = &registry}};
  mixed.inc(1e6);
  mixed.inc(0.5);
  mixed.inc();
  metrics::Counter infinite{{.name = "infinite", .documentation = "c", .registry = &registry}};
  infinite.inc(kInf);
  infinite.inc();
  metrics::Counter huge{{.name = "huge", .documentation = "c", .registry = &registry}};
  huge.inc(1e20);
  for (const std::string& text : {text_of(registry), openmetrics_of(registry)}) {
    EXPECT_EQ(value_of(text, "tenths_total"), "0.30000000000000004");
    EXPECT_EQ(value_of(text, "million_total"), "1e+06");
    EXPECT_EQ(value_of(text, "mixed_total"), "1.0000015e+06");
    EXPECT_EQ(value_of(text, "infinite_total"), "+Inf");
    EXPECT_EQ(value_of(text, "huge_total"), "1e+20");
  }
}

// Intentional difference (docs/design.md): integer counters past 2^53 print their exact value;
// prometheus_client's float would print 9.007199254740992e+015 for all three.
TEST(NumberFormat, CountersPast2To53AreExactIntegers) {
  metrics::Registry registry;
  metrics::Counter at{{.name = "at", .documentation = "c", .registry = &registry}};
  at.inc(9007199254740992.0);  // 2^53: still a double's exact integer, printed as Python does
  metrics::Counter plus_one{{.name = "plus_one", .documentation = "c", .registry = &registry}};
  plus_one.inc(9007199254740992.0);
  plus_one.inc();
  metrics::Counter plus_two{{.name = "plus_two", .documentation = "c", .registry = &registry}};
  plus_two.inc(9007199254740992.0);
  plus_two.inc(1);
  plus_two.inc(1);
  metrics::Counter near_max{{.name = "near_max", .documentation = "c", .registry = &registry}};
  near_max.inc(18446744073709549568.0);  // the largest double below 2^64
  near_max.inc();
  for (const std::string& text : {text_of(registry), openmetrics_of(registry)}) {
    EXPECT_EQ(value_of(text, "at_total"), "9.007199254740992e+015");
    EXPECT_EQ(value_of(text, "plus_one_total"), "9007199254740993.0");
    EXPECT_EQ(value_of(text, "plus_two_total"), "9007199254740994.0");
    EXPECT_EQ(value_of(text, "near_max_total"), "18446744073709549569.0");
  }
}

// Past 2^64 a counter must not wrap around (Prometheus would see a reset, and a tiny value).
// Either the exact integer or prometheus_client's float is right; anything else is not.
TEST(NumberFormat, CounterPast2To64DoesNotWrap) {
  metrics::Registry registry;
  metrics::Counter twice{{.name = "twice", .documentation = "c", .registry = &registry}};
  twice.inc(18446744073709549568.0);
  twice.inc(18446744073709549568.0);
  metrics::Counter step{{.name = "step", .documentation = "c", .registry = &registry}};
  step.inc(18446744073709549568.0);
  step.inc();
  step.inc(4096);
  const std::string text = text_of(registry);
  const std::string twice_value = value_of(text, "twice_total");
  EXPECT_TRUE(twice_value == "36893488147419099136.0" || twice_value == "3.68934881474191e+19")
      << "2 x 18446744073709549568 written as " << twice_value
      << " (prometheus_client: 3.68934881474191e+19)";
  const std::string step_value = value_of(text, "step_total");
  EXPECT_TRUE(step_value == "18446744073709553665.0" || step_value == "1.8446744073709552e+19")
      << "18446744073709549568 + 1 + 4096 written as " << step_value
      << " (prometheus_client: 1.8446744073709552e+19)";
}

TEST(NumberFormat, ExemplarValuesAndTimestamps) {
  metrics::Registry registry;
  metrics::Histogram histogram{
      {.name = "h", .documentation = "h", .buckets = {1e7}, .registry = &registry}};
  metrics::Counter counter{{.name = "c", .documentation = "c", .registry = &registry}};
  const double before = static_cast<double>(std::time(nullptr));
  histogram.observe(1234567.0, {{"trace_id", "a"}});
  counter.inc(0.30000000000000004, {{"trace_id", "b"}});
  const double after = static_cast<double>(std::time(nullptr)) + 1;
  const std::string om = openmetrics_of(registry);
  // OpenMetrics: value in Go style, timestamp as Python's str(time.time()): seconds.fraction.
  const std::regex bucket(
      R"(\nh_bucket\{le="1e\+07"\} 1\.0 # \{trace_id="a"\} 1\.234567e\+06 ([0-9]+\.[0-9]+)\n)");
  const std::regex total(R"(\nc_total 0\.30000000000000004 # \{trace_id="b"\} )"
                         R"(0\.30000000000000004 ([0-9]+\.[0-9]+)\n)");
  for (const std::regex& pattern : {bucket, total}) {
    std::smatch match;
    ASSERT_TRUE(std::regex_search(om, match, pattern)) << om;
    const double timestamp = std::stod(match[1].str());
    EXPECT_GE(timestamp, before);
    EXPECT_LE(timestamp, after);
  }
  EXPECT_EQ(text_of(registry).find(" # "), std::string::npos) << "no exemplars in text 0.0.4";
}

TEST(NumberFormat, CreatedIsUnixTimeInGoStyle) {
  metrics::Registry registry;
  const double before = static_cast<double>(std::time(nullptr));
  metrics::Counter counter{{.name = "c", .documentation = "c", .registry = &registry}};
  const double after = static_cast<double>(std::time(nullptr)) + 1;
  const std::regex created(R"(^[1-9]\.[0-9]+e\+09$)");
  for (const std::string& text : {text_of(registry), openmetrics_of(registry)}) {
    const std::string value = value_of(text, "c_created");
    ASSERT_TRUE(std::regex_match(value, created)) << value;
    EXPECT_GE(std::stod(value), before);
    EXPECT_LE(std::stod(value), after);
  }
}

}  // namespace
