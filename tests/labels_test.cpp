// labels(): by position and by name, for every metric type. Compiled twice, as C++20 (in
// unit_tests) and as C++17 (labels_cxx17_tests): both forms must resolve without ambiguity under
// both standards. It therefore sets Options fields by assignment, not designated initializers.
#include "bentoml/metrics/labels.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "bentoml/metrics.hpp"
#include "bentoml/metrics/detail/label_hash.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::parse_exposition;

// A value converts from exactly one string-like argument; a pair needs exactly two.
static_assert(std::is_convertible_v<const char*, metrics::LabelValue>);
static_assert(std::is_convertible_v<std::string, metrics::LabelValue>);
static_assert(std::is_convertible_v<const std::string&, metrics::LabelValue>);
static_assert(std::is_convertible_v<std::string_view, metrics::LabelValue>);
static_assert(!std::is_constructible_v<metrics::LabelValue, const char*, const char*>);
static_assert(!std::is_constructible_v<metrics::LabelValue, const char*, std::size_t>);
static_assert(!std::is_constructible_v<metrics::LabelValue, int>);
static_assert(!std::is_convertible_v<const char*, metrics::LabelPair>);
static_assert(!std::is_constructible_v<metrics::LabelPair, const char*>);
static_assert(!std::is_constructible_v<metrics::LabelPair, std::string>);
static_assert(std::is_constructible_v<metrics::LabelPair, const char*, const char*>);
static_assert(std::is_constructible_v<metrics::LabelPair, std::string, std::string_view>);
static_assert(!std::is_constructible_v<metrics::LabelPair, const char*, const char*, const char*>);

namespace {

// The same overload pair labels() has: which one does each spelling pick, at compile time?
constexpr int form(std::initializer_list<metrics::LabelValue>) { return 1; }
constexpr int form(std::initializer_list<metrics::LabelPair>) { return 2; }
// Two string literals are two positional values, never one pair (nor, in C++20, the iterator
// pair std::string_view{"a", "b"}).
static_assert(form({"a", "b"}) == 1);
static_assert(form({"a"}) == 1);
static_assert(form({std::string_view("a"), "b"}) == 1);
static_assert(form({{"a", "b"}}) == 2);
static_assert(form({{"a", "b"}, {"c", "d"}}) == 2);

metrics::Counter::Options counter_options(metrics::Registry& registry) {
  metrics::Counter::Options options;
  options.name = "c";
  options.documentation = "d";
  options.labelnames = {"torch_version", "device_id"};
  options.registry = &registry;
  return options;
}

using metrics::testing::error_of;

}  // namespace

TEST(Labels, ByPositionAndByNameReachTheSameChild) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  counter.labels({"2.1.0", "cuda:0"}).inc();
  counter.labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}}).inc();
  counter.labels({{"torch_version", "2.1.0"}, {"device_id", "cuda:0"}}).inc();
  const std::string version = "2.1.0";
  const std::string_view device = "cuda:0";
  const char* device_pointer = "cuda:0";
  counter.labels({version, device}).inc();
  counter.labels({std::string_view(version), device_pointer}).inc();
  counter.labels({std::string("2.1.0"), std::string("cuda:0")}).inc();
  counter.labels({{"device_id", std::string("cuda:0")}, {std::string("torch_version"), version}})
      .inc();
  EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), 7);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "c_total{device_id=\"cuda:0\",torch_version=\"2.1.0\"} 7.0")) << text;
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "c_total{"), 1) << text;
}

TEST(Labels, TwoLiteralsAreTwoValuesNeverAPair) {
  metrics::Registry registry;
  metrics::Counter::Options options;
  options.name = "one";
  options.labelnames = {"a"};
  options.registry = &registry;
  metrics::Counter counter(options);
  // {"a", "b"} is two positional values: one too many, not the pair a="b".
  const std::string message = error_of([&] { counter.labels({"a", "b"}); });
  EXPECT_TRUE(contains(message, "'one'")) << message;
  EXPECT_TRUE(contains(message, "got 2")) << message;
  counter.labels({{"a", "b"}}).inc(2);  // by name: a="b"
  counter.labels({"b"}).inc();          // by position: the same child
  counter.labels({"a"}).inc(5);         // a="a", another child
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "one_total{a=\"b\"} 3.0")) << text;
  EXPECT_TRUE(has_line(text, "one_total{a=\"a\"} 5.0")) << text;
  EXPECT_FALSE(contains(text, "ab")) << text;
}

TEST(Labels, EveryMetricTypeAcceptsBothForms) {
  metrics::Registry registry;
  metrics::Gauge::Options gauge_options;
  gauge_options.name = "g";
  gauge_options.labelnames = {"x", "y"};
  gauge_options.registry = &registry;
  metrics::Gauge gauge(gauge_options);
  gauge.labels({"1", "2"}).set(3);
  gauge.labels({{"y", "2"}, {"x", "1"}}).inc();
  metrics::Histogram::Options histogram_options;
  histogram_options.name = "h";
  histogram_options.labelnames = {"x", "y"};
  histogram_options.buckets = {1};
  histogram_options.registry = &registry;
  metrics::Histogram histogram(histogram_options);
  histogram.labels({"1", "2"}).observe(0.5);
  histogram.labels({{"y", "2"}, {"x", "1"}}).observe(1.5);
  metrics::Summary::Options summary_options;
  summary_options.name = "s";
  summary_options.labelnames = {"x", "y"};
  summary_options.registry = &registry;
  metrics::Summary summary(summary_options);
  summary.labels({"1", "2"}).observe(0.5);
  summary.labels({{"y", "2"}, {"x", "1"}}).observe(1.5);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g{x=\"1\",y=\"2\"} 4.0")) << text;
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1.0\",x=\"1\",y=\"2\"} 1.0")) << text;
  EXPECT_TRUE(has_line(text, "h_count{x=\"1\",y=\"2\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_count{x=\"1\",y=\"2\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum{x=\"1\",y=\"2\"} 2.0")) << text;
  EXPECT_EQ(metrics::testing::lines_starting_with(text, "s_count"), 1) << text;
}

TEST(Labels, ValuesDifferingInAnyOneByteOfAnyLengthAreNotTheSame) {
  // The lookup's comparison loads overlapping words for up to 16 bytes: every length and every
  // position of a difference, compared from offsets that are not word-aligned.
  for (std::size_t size = 0; size <= 40; ++size) {
    const std::string a = "#" + std::string(size, 'x');
    EXPECT_TRUE(bentoml::metrics::detail::same_bytes(a.data() + 1, a.data() + 1, size));
    for (std::size_t at = 0; at < size; ++at) {
      std::string b = a;
      b[1 + at] = 'y';
      EXPECT_FALSE(bentoml::metrics::detail::same_bytes(a.data() + 1, b.data() + 1, size))
          << size << " bytes, differing at " << at;
    }
  }
}

TEST(Labels, DistinctValuesAreDistinctChildren) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  counter.labels({"a", "bc"}).inc();
  counter.labels({"ab", "c"}).inc(2);
  counter.labels({"", "abc"}).inc(3);
  counter.labels({"a long value beyond eight bytes", "x"}).inc(4);
  counter.labels({"abc", ""}).inc(5);
  EXPECT_EQ(counter.labels({"a", "bc"}).value(), 1);
  EXPECT_EQ(counter.labels({"ab", "c"}).value(), 2);
  EXPECT_EQ(counter.labels({"", "abc"}).value(), 3);
  EXPECT_EQ(counter.labels({"a long value beyond eight bytes", "x"}).value(), 4);
  EXPECT_EQ(counter.labels({"abc", ""}).value(), 5);
  EXPECT_EQ(counter.labels({"a long value beyond eight byteS", "x"}).value(), 0);
  // A value with a NUL byte is its own value, not cut at the NUL.
  counter.labels({std::string_view("a\0b", 3), "x"}).inc(6);
  EXPECT_EQ(counter.labels({"a", "x"}).value(), 0);
  EXPECT_EQ(counter.labels({std::string("a\0b", 3), "x"}).value(), 6);
}

TEST(Labels, ManyChildrenSurviveTableGrowth) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  for (int i = 0; i < 5000; ++i) counter.labels({std::to_string(i), "d"}).inc(i);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(counter.labels({{"device_id", "d"}, {"torch_version", std::to_string(i)}}).value(), i)
        << i;
  }
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.find("c_total", {{"torch_version", "4999"}, {"device_id", "d"}}).size(), 1u);
  int totals = 0;
  for (const auto& sample : parsed.samples) totals += sample.name == "c_total";
  EXPECT_EQ(totals, 5000);
}

TEST(Labels, MoreThanSixteenLabelsByPositionAndByName) {
  metrics::Registry registry;
  metrics::Gauge::Options options;
  options.name = "wide";
  options.registry = &registry;
  for (int i = 0; i < 20; ++i) options.labelnames.push_back("l" + std::to_string(i));
  metrics::Gauge gauge(options);
  const std::vector<std::string> values = [] {
    std::vector<std::string> result;
    for (int i = 0; i < 20; ++i) result.push_back("v" + std::to_string(i));
    return result;
  }();
  gauge
      .labels({values[0],  values[1],  values[2],  values[3],  values[4],  values[5],  values[6],
               values[7],  values[8],  values[9],  values[10], values[11], values[12], values[13],
               values[14], values[15], values[16], values[17], values[18], values[19]})
      .set(7);
  // By name, in reverse order.
  const double by_name =
      gauge
          .labels({{"l19", "v19"}, {"l18", "v18"}, {"l17", "v17"}, {"l16", "v16"}, {"l15", "v15"},
                   {"l14", "v14"}, {"l13", "v13"}, {"l12", "v12"}, {"l11", "v11"}, {"l10", "v10"},
                   {"l9", "v9"},   {"l8", "v8"},   {"l7", "v7"},   {"l6", "v6"},   {"l5", "v5"},
                   {"l4", "v4"},   {"l3", "v3"},   {"l2", "v2"},   {"l1", "v1"},   {"l0", "v0"}})
          .value();
  EXPECT_EQ(by_name, 7);
  const auto parsed = parse_exposition(metrics::generate_latest(registry));
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.samples.size(), 1u);
  EXPECT_EQ(parsed.samples[0].labels.size(), 20u);
  EXPECT_EQ(parsed.samples[0].labels.at("l13"), "v13");
  EXPECT_EQ(parsed.samples[0].value, 7);
}

TEST(Labels, WrongCountUnknownOrRepeatedNamesThrowNamingTheMetric) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  std::string message = error_of([&] { counter.labels({"only one"}); });
  EXPECT_TRUE(contains(message, "'c'")) << message;
  EXPECT_TRUE(contains(message, "torch_version, device_id")) << message;
  EXPECT_TRUE(contains(message, "got 1")) << message;
  message = error_of([&] { counter.labels({"a", "b", "c"}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "got 3")) << message;
  message = error_of([&] { counter.labels({{"torch_version", "a"}, {"device", "b"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "'device'")) << message;
  message = error_of([&] { counter.labels({{"torch_version", "a"}, {"torch_version", "b"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "torch_version")) << message;
  message = error_of([&] { counter.labels({{"torch_version", "a"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "got 1")) << message;
  message = error_of([&] {
    counter.labels({{"torch_version", "a"}, {"device_id", "b"}, {"extra", "c"}});
  });
  EXPECT_TRUE(contains(message, "'c'")) << message;
  // remove() checks the same way.
  message = error_of([&] { counter.remove({"a"}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "got 1")) << message;
  message = error_of([&] { counter.remove({{"torch_version", "a"}, {"nope", "b"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "'nope'")) << message;
  // Nothing was created by the failed calls.
  EXPECT_EQ(metrics::generate_latest(registry), "# HELP c_total d\n# TYPE c_total counter\n");
}

TEST(Labels, ValuesAreEscapedAndSortedByNameInTheExposition) {
  metrics::Registry registry;
  metrics::Gauge::Options options;
  options.name = "g";
  options.labelnames = {"zeta", "alpha", "mid"};
  options.registry = &registry;
  metrics::Gauge gauge(options);
  gauge.labels({"z", "quote\"back\\slash", "new\nline"}).set(1);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(
      has_line(text, "g{alpha=\"quote\\\"back\\\\slash\",mid=\"new\\nline\",zeta=\"z\"} 1.0"))
      << text;
  const auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(
      parsed.value("g", {{"alpha", "quote\"back\\slash"}, {"mid", "new\nline"}, {"zeta", "z"}}), 1);
}

TEST(Labels, EachEscapedByteIsFoundAtEveryPositionOfAValue) {
  // Values are checked eight bytes at a time before escaping: a backslash, quote or newline at
  // any position (in a whole word or in the tail) must still be escaped.
  metrics::Registry registry;
  metrics::Gauge gauge{
      {.name = "g", .documentation = "d", .labelnames = {"v"}, .registry = &registry}};
  for (std::size_t size = 1; size <= 20; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      for (const char special : {'\\', '"', '\n'}) {
        std::string value(size, 'x');
        value[at] = special;
        gauge.labels({value}).set(1);
      }
    }
  }
  std::string long_value(2000, 'y');  // a line longer than the writer's stack buffer
  long_value[1500] = '"';
  gauge.labels({long_value}).set(2);
  const std::string text = metrics::generate_latest(registry);
  const auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.error, "") << text;
  EXPECT_EQ(parsed.value("g", {{"v", long_value}}), 2.0);
  EXPECT_TRUE(has_line(
      text, "g{v=\"" + long_value.substr(0, 1500) + "\\\"" + long_value.substr(1501) + "\"} 2.0"));
  for (std::size_t size = 1; size <= 20; ++size) {
    for (std::size_t at = 0; at < size; ++at) {
      for (const char special : {'\\', '"', '\n'}) {
        std::string value(size, 'x');
        value[at] = special;
        std::string escaped = value.substr(0, at);
        escaped += special == '\n' ? "\\n" : special == '"' ? "\\\"" : "\\\\";
        escaped += value.substr(at + 1);
        EXPECT_TRUE(has_line(text, "g{v=\"" + escaped + "\"} 1.0")) << escaped;
        EXPECT_EQ(parsed.value("g", {{"v", value}}), 1.0) << escaped;
      }
    }
  }
}

TEST(Labels, UnicodeValuesAreKeptAsBytes) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  counter.labels({"ünïcødé", "设备"}).inc();
  EXPECT_TRUE(contains(metrics::generate_latest(registry),
                       "c_total{device_id=\"设备\",torch_version=\"ünïcødé\"} 1.0"));
}

// A thread's last lookup in a family is tried before the index: it must never hand out a child
// whose values differ, a removed child, or a child of a family that no longer exists.

TEST(Labels, TheLastLookupIsConfirmedByItsValues) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  std::string version = "2.1.0";
  counter.labels({version, "cuda:0"}).inc();
  version[4] = '1';  // the same buffer, other bytes: another series
  counter.labels({version, "cuda:0"}).inc(2);
  EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), 1);
  EXPECT_EQ(counter.labels({"2.1.1", "cuda:0"}).value(), 2);
  EXPECT_EQ(counter.labels({"2.1.1", "cuda:1"}).value(), 0);
  EXPECT_EQ(counter.labels({"2.1.1", "cuda:"}).value(), 0);  // a prefix of the last values
  EXPECT_THROW(counter.labels({"2.1.1"}), metrics::Error);   // a wrong count is still refused
}

TEST(Labels, TheLastLookupOfLongValuesIsConfirmedByAllTheirBytes) {
  // Values past 16 bytes are compared out of line; a difference in their last byte, or one
  // value long and the next short, is another series.
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  std::string model = "sentence-transformers/all-MiniLM-L6-v2";
  counter.labels({model, "cuda:0"}).inc();
  counter.labels({model, "cuda:0"}).inc();
  model.back() = '3';
  counter.labels({model, "cuda:0"}).inc(5);
  counter.labels({"short", "a value longer than sixteen bytes"}).inc(7);
  EXPECT_EQ(counter.labels({"sentence-transformers/all-MiniLM-L6-v2", "cuda:0"}).value(), 2);
  EXPECT_EQ(counter.labels({"sentence-transformers/all-MiniLM-L6-v3", "cuda:0"}).value(), 5);
  EXPECT_EQ(counter.labels({"short", "a value longer than sixteen bytes"}).value(), 7);
  EXPECT_EQ(counter.labels({"short", "a value longer than sixteen byteZ"}).value(), 0);
}

TEST(Labels, AMetricWithoutLabelsRefusesLabelsEvenRightAfterItsChildWasMade) {
  // Its one child is looked up when it is made, which leaves a last lookup in this thread.
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  EXPECT_THROW(counter.labels(std::initializer_list<metrics::LabelValue>{}), metrics::Error);
  counter.inc();
  EXPECT_THROW(counter.labels(std::initializer_list<metrics::LabelValue>{}), metrics::Error);
}

TEST(Labels, TheLastLookupOfARemovedChildRevivesIt) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  counter.labels({"2.1.0", "cuda:0"}).inc(3);
  counter.remove({"2.1.0", "cuda:0"});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "cuda:0"));
  counter.labels({"2.1.0", "cuda:0"}).inc();  // revived, its value kept
  EXPECT_TRUE(has_line(metrics::generate_latest(registry),
                       "c_total{device_id=\"cuda:0\",torch_version=\"2.1.0\"} 4.0"));
  counter.clear();
  EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), 4);
  EXPECT_TRUE(contains(metrics::generate_latest(registry), "cuda:0"));
}

TEST(Labels, TheLastLookupOfADestroyedFamilyIsNeverTakenForANewOnes) {
  for (int round = 0; round < 50; ++round) {
    // Each round's registry and family are new (a registry keeps a family its metrics declared
    // for as long as it lives), and may be allocated where the last round's were.
    metrics::Registry registry;
    metrics::Counter counter(counter_options(registry));
    EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), 0) << "round " << round;
    counter.labels({"2.1.0", "cuda:0"}).inc(round + 1);
    EXPECT_EQ(counter.labels({"2.1.0", "cuda:0"}).value(), round + 1);
  }
}

TEST(Labels, FamiliesSharingALastLookupEntryKeepTheirOwnChildren) {
  // More families than a thread has entries, looked up in turn: each lookup must find its own
  // family's child whatever another family left in the entry.
  std::vector<std::unique_ptr<metrics::Registry>> registries;
  std::vector<metrics::Counter> counters;
  for (int i = 0; i < 20; ++i) {
    registries.push_back(std::make_unique<metrics::Registry>());
    counters.emplace_back(counter_options(*registries.back()));
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) counters[i].labels({"2.1.0", "cuda:0"}).inc(i + 1);
  }
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(counters[i].labels({"2.1.0", "cuda:0"}).value(), 3 * (i + 1));
}

TEST(Labels, EachThreadHasItsOwnLastLookup) {
  metrics::Registry registry;
  metrics::Counter counter(counter_options(registry));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&counter, t] {
      const std::string device = "cuda:" + std::to_string(t);
      for (int i = 0; i < 10000; ++i) {
        counter.labels({"2.1.0", device}).inc();
        counter.labels({"2.1.0", "shared"}).inc();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(counter.labels({"2.1.0", "cuda:" + std::to_string(t)}).value(), 10000);
  }
  EXPECT_EQ(counter.labels({"2.1.0", "shared"}).value(), 40000);
}
