#include "bentoml/metrics/counter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::sample_value;

namespace {

class Counter : public metrics::testing::RegistryTest {};

using metrics::testing::error_of;

}  // namespace

TEST_F(Counter, IncrementsAndExposesTotalAndCreated) {
  metrics::Counter requests{{.name = "requests",
                             .documentation = "Requests",
                             .labelnames = {"code"},
                             .registry = &registry}};
  requests.labels({"200"}).inc();
  requests.labels({"200"}).inc(2.5);
  requests.labels({{"code", "500"}}).inc(3);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_EQ(text.substr(0, text.find("requests_created{code=\"200\"}")),
            "# HELP requests_total Requests\n"
            "# TYPE requests_total counter\n"
            "requests_total{code=\"200\"} 3.5\n"
            "requests_total{code=\"500\"} 3.0\n"
            "# HELP requests_created Requests\n"
            "# TYPE requests_created gauge\n")
      << text;
  EXPECT_GT(sample_value(text, "requests_created{code=\"200\"}"), 1.6e9);
  EXPECT_GT(sample_value(text, "requests_created{code=\"500\"}"), 1.6e9);
  EXPECT_EQ(requests.labels({"200"}).value(), 3.5);
  EXPECT_EQ(requests.labels({"500"}).value(), 3);
}

TEST_F(Counter, WithoutLabelsRecordsDirectlyAndIsExposedAtZero) {
  metrics::Counter counter{{.name = "jobs_total", .documentation = "Jobs", .registry = &registry}};
  EXPECT_EQ(counter.name(), "jobs");  // a trailing _total is dropped, as in Python
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "jobs_total 0.0"));
  counter.inc();
  counter.inc(41);
  counter.inc(0);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "jobs_total 42.0"));
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "jobs_total_total"));
  EXPECT_EQ(counter.value(), 42);
}

TEST_F(Counter, TotalIsStrippedAfterJoiningAndOnlyOnce) {
  metrics::Counter joined{
      {.name = "x_total", .documentation = "d", .namespace_ = "ns", .registry = &registry}};
  EXPECT_EQ(joined.name(), "ns_x");
  metrics::Counter twice{{.name = "y_total_total", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(twice.name(), "y_total");
  metrics::Counter with_unit{
      {.name = "z_total", .documentation = "d", .unit = "bytes", .registry = &registry}};
  EXPECT_EQ(with_unit.name(), "z_bytes");
  metrics::Counter not_suffix{{.name = "totals", .documentation = "d", .registry = &registry}};
  EXPECT_EQ(not_suffix.name(), "totals");
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "ns_x_total 0.0")) << text;
  EXPECT_TRUE(has_line(text, "y_total_total 0.0")) << text;
  EXPECT_TRUE(has_line(text, "z_bytes_total 0.0")) << text;
  EXPECT_TRUE(has_line(text, "totals_total 0.0")) << text;
}

TEST_F(Counter, NegativeOrNanIncrementThrowsAndChangesNothing) {
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto child = counter.labels({"x"});
  child.inc(5);
  child.inc(0.25);
  const std::string message = error_of([&] { child.inc(-1); });
  EXPECT_TRUE(contains(message, "'c'")) << message;
  EXPECT_TRUE(contains(message, "non-negative")) << message;
  // The amount is printed as the exposition prints numbers.
  EXPECT_EQ(message.substr(message.rfind(',')), ", got -1.0") << message;
  EXPECT_TRUE(contains(error_of([&] { child.inc(-0.5); }), "got -0.5"));
  EXPECT_TRUE(contains(error_of([&] { child.inc(-1e20); }), "got -1e+20"));
  EXPECT_TRUE(contains(error_of([&] { child.inc(std::nan("")); }), "got NaN"));
  EXPECT_THROW(child.inc(-0.5), metrics::Error);
  EXPECT_THROW(child.inc(-std::numeric_limits<double>::infinity()), metrics::Error);
  EXPECT_THROW(child.inc(std::nan("")), metrics::Error);
  EXPECT_THROW(child.inc(-0.5, {{"trace_id", "a"}}), metrics::Error);
  EXPECT_THROW(child.inc(std::nan(""), {{"trace_id", "a"}}), metrics::Error);
  EXPECT_EQ(child.value(), 5.25);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total{l=\"x\"} 5.25"));
  // A rejected exemplar call left no exemplar behind either.
  EXPECT_FALSE(
      contains(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0), "trace_id"));
  child.inc(-0.0);  // not negative: Python accepts it too
  EXPECT_EQ(child.value(), 5.25);
}

TEST_F(Counter, RecordingOnALabelledMetricThrows) {
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  const std::string message = error_of([&] { counter.inc(); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "labels")) << message;
  EXPECT_THROW(counter.inc(2), metrics::Error);
  EXPECT_THROW(counter.inc(1, {{"trace_id", "a"}}), metrics::Error);
  EXPECT_THROW((void)counter.value(), metrics::Error);
  EXPECT_EQ(metrics::testing::lines_starting_with(metrics::generate_latest(registry), "c_total"),
            0);
}

TEST_F(Counter, WholeIncrementsStayExactPastTwoToThe53) {
  metrics::Counter counter{{.name = "big", .documentation = "d", .registry = &registry}};
  const double two_to_53 = 9007199254740992.0;
  counter.inc(two_to_53);
  counter.inc();  // 2^53 + 1 is not a double
  counter.inc();
  counter.inc(1.0);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "big_total 9007199254740995.0"));
  for (int i = 0; i < 1000; ++i) counter.inc();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "big_total 9007199254741995.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
                       "big_total 9007199254741995.0"));
  // 2^63 + 2^62 + 12345, from whole increments of every size.
  metrics::Counter wide{{.name = "wide", .documentation = "d", .registry = &registry}};
  wide.inc(9223372036854775808.0);
  wide.inc(4611686018427387904.0);
  wide.inc(12344);
  wide.inc();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "wide_total 13835058055282176057.0"))
      << metrics::generate_latest(registry);
}

TEST_F(Counter, NamespaceSubsystemAndUnitAreJoinedAsInPython) {
  metrics::Counter counter{{.name = "sent",
                            .documentation = "d",
                            .namespace_ = "app",
                            .subsystem = "net",
                            .unit = "bytes",
                            .registry = &registry}};
  EXPECT_EQ(counter.name(), "app_net_sent_bytes");
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# TYPE app_net_sent_bytes counter")) << om;
  EXPECT_TRUE(has_line(om, "# UNIT app_net_sent_bytes bytes"));
  EXPECT_TRUE(has_line(om, "app_net_sent_bytes_total 0.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "app_net_sent_bytes_total 0.0"));
  metrics::Counter already{
      {.name = "size_bytes", .documentation = "d", .unit = "bytes", .registry = &registry}};
  EXPECT_EQ(already.name(), "size_bytes");
  metrics::Counter only_subsystem{
      {.name = "a", .documentation = "d", .subsystem = "sub", .registry = &registry}};
  EXPECT_EQ(only_subsystem.name(), "sub_a");
  metrics::Counter only_namespace{
      {.name = "a", .documentation = "d", .namespace_ = "ns", .registry = &registry}};
  EXPECT_EQ(only_namespace.name(), "ns_a");
  EXPECT_THROW(metrics::Counter({.name = "b", .unit = "no-dash", .registry = &registry}),
               metrics::Error);
  EXPECT_THROW(metrics::Counter({.name = "b", .subsystem = "a b", .registry = &registry}),
               metrics::Error);
}

TEST_F(Counter, NullRegistryMeansTheDefaultRegistry) {
  metrics::Counter counter{{.name = "counter_test_default_registry", .documentation = "d"}};
  counter.inc(7);
  EXPECT_TRUE(has_line(metrics::generate_latest(), "counter_test_default_registry_total 7.0"));
  EXPECT_TRUE(has_line(metrics::generate_latest(metrics::default_registry()),
                       "counter_test_default_registry_total 7.0"));
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "counter_test_default_registry"));
  EXPECT_TRUE(metrics::default_registry().unregister("counter_test_default_registry"));
  EXPECT_FALSE(contains(metrics::generate_latest(), "counter_test_default_registry"));
}

TEST_F(Counter, ExemplarsAreValidatedAndShownInOpenMetricsOnly) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(2, {{"trace_id", "abc"}});
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "\nc_total 2.0 # {trace_id=\"abc\"} 2.0 ")) << om;
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "trace_id"));
  // 128 characters of names and values together are allowed; 129 are not.
  counter.inc(1, {{"t", std::string(127, 'x')}});
  std::string message = error_of([&] { counter.inc(1, {{"t", std::string(128, 'x')}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "128")) << message;
  EXPECT_THROW(counter.inc(1, {{"trace_id", std::string(200, 'x')}}), metrics::Error);
  EXPECT_THROW(counter.inc(1, {{"a", std::string(64, 'x')}, {"b", std::string(63, 'y')}}),
               metrics::Error);
  // Characters, not bytes: 128 two-byte characters are allowed.
  std::string wide;
  for (int i = 0; i < 127; ++i) wide += "é";
  counter.inc(1, {{"t", wide}});
  message = error_of([&] { counter.inc(1, {{"bad-name", "x"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "bad-name")) << message;
  EXPECT_THROW(counter.inc(1, {{"", "x"}}), metrics::Error);
  EXPECT_THROW(counter.inc(1, {{"1a", "x"}}), metrics::Error);
  EXPECT_EQ(counter.value(), 4);  // the rejected calls recorded nothing
  // The latest accepted exemplar is shown.
  EXPECT_TRUE(contains(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
                       "c_total 4.0 # {t=\"" + wide + "\"} 1.0 "));
}

// OpenMetrics reserves label names starting with `__`, for exemplars as for series
// (prometheus_client's _validate_exemplar rejects them through _validate_labelname).
TEST_F(Counter, ExemplarLabelNamesWithDoubleUnderscoreAreRejected) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  const std::string message = error_of([&] { counter.inc(1, {{"__trace", "x"}}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "__trace")) << message;
  EXPECT_EQ(counter.value(), 0);
  EXPECT_FALSE(
      contains(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0), "__trace"));
}

// A label set names each label once; `# {trace_id="a",trace_id="b"}` is not valid OpenMetrics
// (and prometheus_client cannot even express it: exemplar labels are a dict).
TEST_F(Counter, ExemplarWithARepeatedLabelNameIsRejected) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  const std::string message = error_of([&] {
    counter.inc(1, {{"trace_id", "a"}, {"trace_id", "b"}});
  });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "trace_id")) << message;
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_FALSE(contains(om, "trace_id=\"a\",trace_id=\"b\"")) << om;
}

// Exemplar label values are arbitrary strings: one with a NUL byte must come back as given (or
// be rejected), never split into other labels.
TEST_F(Counter, ExemplarValueWithNulByteIsNotSplit) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  const std::string value("a\0b", 3);
  try {
    counter.inc(1, {{"trace_id", value}});
  } catch (const metrics::Error&) {
    return;  // rejecting it is fine
  }
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "c_total 1.0 # {trace_id=\"" + value + "\"} 1.0 ")) << om;
}

TEST_F(Counter, RemoveAndClearHideChildrenWhoseHandlesStayValid) {
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto a = counter.labels({"a"});
  auto b = counter.labels({"b"});
  a.inc();
  b.inc();
  counter.remove({"a"});
  std::string text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "l=\"a\"")) << text;  // neither _total nor _created
  EXPECT_TRUE(has_line(text, "c_total{l=\"b\"} 1.0"));
  a.inc();  // still valid after remove, and still hidden
  EXPECT_EQ(a.value(), 2);
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "l=\"a\""));
  counter.clear();
  text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "c_total{")) << text;
  EXPECT_FALSE(contains(text, "c_created"));  // no child, no _created family
  b.inc(5);                                   // valid after clear
  EXPECT_EQ(b.value(), 6);
  counter.labels({"a"}).inc();  // revived: the same child, its values kept (see docs/design.md)
  text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "c_total{l=\"a\"} 3.0")) << text;
  EXPECT_FALSE(contains(text, "l=\"b\""));
  EXPECT_EQ(a.value(), 3);  // the old handle sees the revived child
  counter.remove({{"l", "a"}});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "c_total{l=\"a\"}"));
  counter.remove({"never-created"});  // no effect, no error
  counter.remove({"a"});              // removing twice: no effect
  EXPECT_THROW(counter.remove({"a", "b"}), metrics::Error);
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "never-created"));
}

// A metric without labels has no children to clear: in prometheus_client clear() leaves its value
// exposed. Here it must at least not vanish for good while inc() keeps succeeding (there is no
// labels() call that could bring its one series back).
TEST_F(Counter, ClearOnAnUnlabelledMetricDoesNotHideItForever) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(2);
  counter.clear();
  counter.inc();
  EXPECT_EQ(counter.value(), 3);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total 3.0"))
      << metrics::generate_latest(registry);
}

TEST_F(Counter, InfiniteIncrementIsAcceptedAsInPython) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(std::numeric_limits<double>::infinity());
  counter.inc();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total +Inf"));
}

// A child revived by labels() after remove() continues its series: values and `_created` as
// they were (see docs/design.md).
TEST_F(Counter, RevivedChildKeepsItsCreatedTimestamp) {
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  counter.labels({"a"}).inc();
  const auto created = [&] {
    return metrics::testing::parse_exposition(metrics::generate_latest(registry))
        .value("c_created", {{"l", "a"}});
  };
  const double first = created();
  ASSERT_GT(first, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  counter.remove({"a"});
  counter.labels({"a"}).inc();
  EXPECT_EQ(created(), first);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total{l=\"a\"} 2.0"));
}

// prometheus_client: an empty exemplar is no exemplar, and the previous one stays.
TEST_F(Counter, EmptyExemplarKeepsThePreviousOne) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(1, {{"trace_id", "abc"}});
  counter.inc(2, {});
  EXPECT_EQ(counter.value(), 3);
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "c_total 3.0 # {trace_id=\"abc\"} 1.0 ")) << om;
  metrics::Counter fresh{{.name = "f", .documentation = "d", .registry = &registry}};
  fresh.inc(1, {});
  EXPECT_TRUE(has_line(metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0),
                       "f_total 1.0"));
}

// Exemplar characters are code points of valid UTF-8, as prometheus_client counts them; bytes
// that are not UTF-8 are an error (Python strings cannot hold them at all).
TEST_F(Counter, ExemplarValuesMustBeValidUtf8) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  for (const std::string& bad : {std::string("\xff"), std::string("a\xc3"), std::string("\xc0\xaf"),
                                 std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80")}) {
    const std::string message = error_of([&] { counter.inc(1, {{"t", bad}}); });
    EXPECT_TRUE(contains(message, "'c'") && contains(message, "UTF-8")) << message;
  }
  EXPECT_EQ(counter.value(), 0);
  std::string long_runes;  // 127 two-byte characters plus a one-character name: 128, allowed
  for (int i = 0; i < 127; ++i) long_runes += "\xc3\xa9";
  counter.inc(1, {{"t", long_runes}});
  EXPECT_THROW(counter.inc(1, {{"t", long_runes + "x"}}), metrics::Error);
  EXPECT_EQ(counter.value(), 1);
}

// As in prometheus_client: labels() and remove() need label names; clear() leaves the one series.
TEST_F(Counter, LabelsAndRemoveOnAMetricWithoutLabelsAreErrors) {
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  std::string message = error_of([&] { (void)counter.labels({"x"}); });
  EXPECT_TRUE(contains(message, "'c'") && contains(message, "no labels")) << message;
  EXPECT_THROW(counter.remove({"x"}), metrics::Error);
  EXPECT_THROW(counter.remove({{"l", "x"}}), metrics::Error);
  counter.inc();
  counter.clear();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total 1.0"));
}

// clear() on every type without labels keeps its series exposed and counting.
TEST_F(Counter, ClearKeepsTheUnlabelledSeriesOfEveryType) {
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{
      {.name = "h", .documentation = "d", .buckets = {1}, .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  gauge.set(2);
  histogram.observe(0.5);
  summary.observe(3);
  gauge.clear();
  histogram.clear();
  summary.clear();
  gauge.inc();
  histogram.observe(5);
  summary.observe(1);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "g 3.0")) << text;
  EXPECT_TRUE(has_line(text, "h_count 2.0")) << text;
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"+Inf\"} 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_count 2.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum 4.0")) << text;
}

// prometheus_client drops a counter's `_total` suffix before checking the name: `_total` alone
// leaves nothing (an error), and with a unit it becomes just the unit.
TEST_F(Counter, ANameThatIsOnlyTheTotalSuffix) {
  const std::string message = error_of([&] {
    metrics::Counter bad{{.name = "_total", .documentation = "d", .registry = &registry}};
  });
  EXPECT_TRUE(contains(message, "'_total'") && contains(message, "invalid metric name")) << message;
  metrics::Counter ratio{
      {.name = "_total", .documentation = "d", .unit = "ratio", .registry = &registry}};
  EXPECT_EQ(ratio.name(), "_ratio");
  ratio.inc();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "_ratio_total 1.0"));
}
