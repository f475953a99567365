// The README's bad-input table, one test per row, in the table's order: each misuse and what
// the library does with it. Registration-path faults throw metrics::Error naming the metric and
// the fault and change nothing; values the API defines (NaN and infinities where a number may be
// any double, escapes in label values) are kept and written as prometheus_client writes them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::error_of;
using metrics::testing::has_line;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string text_of(const metrics::Registry& registry) {
  return metrics::generate_latest(registry, metrics::Format::text_0_0_4);
}
std::string openmetrics_of(const metrics::Registry& registry) {
  return metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
}

}  // namespace

TEST(BadInput, BadMetricNameIsAnErrorNamingIt) {
  for (const std::string name : {"bad name", "9lives", "", "dash-ed", "a\nb", "caf\xC3\xA9"}) {
    metrics::Registry registry;
    const std::string what = error_of(
        [&] { metrics::Counter{{.name = name, .documentation = "d", .registry = &registry}}; });
    EXPECT_TRUE(contains(what, "name")) << what;
    EXPECT_EQ(text_of(registry), "") << "nothing registered for " << name;
  }
}

TEST(BadInput, BadOrReservedLabelNameIsAnError) {
  metrics::Registry registry;
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Gauge{{.name = "g", .documentation = "d", .labelnames = {"bad-label"},
                    .registry = &registry}};
  }), "bad-label"));
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Gauge{{.name = "g", .documentation = "d", .labelnames = {"__reserved"},
                    .registry = &registry}};
  }), "reserved"));
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Histogram{{.name = "h", .documentation = "d", .labelnames = {"le"},
                        .registry = &registry}};
  }), "'le'"));
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Summary{{.name = "s", .documentation = "d", .labelnames = {"quantile"},
                      .registry = &registry}};
  }), "'quantile'"));
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Gauge{{.name = "g", .documentation = "d", .labelnames = {"a", "a"},
                    .registry = &registry}};
  }), "duplicate"));
  // An Enum's name labels its state, so it must be a label name too (no ':').
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Enum{{.name = "ns:state", .documentation = "d", .states = {"a"},
                   .registry = &registry}};
  }), "label name"));
  EXPECT_EQ(text_of(registry), "");
}

TEST(BadInput, WrongLabelCountOrUnknownLabelIsAnError) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .labelnames = {"a", "b"},
                            .registry = &registry}};
  EXPECT_TRUE(contains(error_of([&] { counter.labels({"only one"}); }), "'c'"));
  EXPECT_TRUE(contains(error_of([&] { counter.labels({"1", "2", "3"}); }), "'c'"));
  EXPECT_TRUE(contains(error_of([&] { counter.labels({{"a", "1"}, {"z", "2"}}); }), "'z'"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(); }), "has labels"));
  metrics::Counter plain{{.name = "p", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(contains(error_of([&] { plain.labels({"x"}); }), "has no labels"));
  EXPECT_EQ(metrics::testing::lines_starting_with(text_of(registry), "c_total"), 0);
}

TEST(BadInput, NegativeOrNaNCounterIncrementIsAnErrorAndRecordsNothing) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(2);
  EXPECT_TRUE(contains(error_of([&] { counter.inc(-1); }), "got -1.0"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(kNaN); }), "got NaN"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(-kInf); }), "got -Inf"));
  EXPECT_EQ(counter.value(), 2);
  counter.inc(kInf);  // +Inf is a non-negative number, as in Python
  EXPECT_TRUE(has_line(text_of(registry), "c_total +Inf"));
}

TEST(BadInput, NaNOrInfiniteObservationIsCountedAsPrometheusClientDoes) {
  metrics::Registry registry;
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .buckets = {1, 2},
                                .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  histogram.observe(kNaN);   // in +Inf and _count; _sum NaN
  histogram.observe(kInf);   // in +Inf
  histogram.observe(-kInf);  // in the first bucket
  summary.observe(kNaN);
  const std::string text = text_of(registry);
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"1.0\"} 1.0")) << text;
  EXPECT_TRUE(has_line(text, "h_bucket{le=\"+Inf\"} 3.0")) << text;
  EXPECT_TRUE(has_line(text, "h_count 3.0")) << text;
  EXPECT_TRUE(has_line(text, "h_sum NaN")) << text;
  EXPECT_TRUE(has_line(text, "s_count 1.0")) << text;
  EXPECT_TRUE(has_line(text, "s_sum NaN")) << text;
}

TEST(BadInput, NaNOrInfiniteGaugeValueIsKept) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .labelnames = {"v"},
                        .registry = &registry}};
  gauge.labels({"nan"}).set(kNaN);
  gauge.labels({"inf"}).set(kInf);
  gauge.labels({"minus_inf"}).set(-kInf);
  for (const std::string& text : {text_of(registry), openmetrics_of(registry)}) {
    EXPECT_TRUE(has_line(text, "g{v=\"nan\"} NaN")) << text;
    EXPECT_TRUE(has_line(text, "g{v=\"inf\"} +Inf")) << text;
    EXPECT_TRUE(has_line(text, "g{v=\"minus_inf\"} -Inf")) << text;
  }
}

TEST(BadInput, LabelValueWithNewlineQuoteOrBackslashIsEscaped) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "line\nback\\slash",
                            .labelnames = {"v"}, .registry = &registry}};
  counter.labels({"a\nb\"c\\d"}).inc();
  const std::string text = text_of(registry);
  EXPECT_TRUE(has_line(text, R"(c_total{v="a\nb\"c\\d"} 1.0)")) << text;
  EXPECT_TRUE(has_line(text, R"(# HELP c_total line\nback\\slash)")) << text;
  EXPECT_TRUE(has_line(openmetrics_of(registry), R"(c_total{v="a\nb\"c\\d"} 1.0)"));
}

TEST(BadInput, LabelValueWithNulBytesIsKeptWhole) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .labelnames = {"v"},
                            .registry = &registry}};
  const std::string with_nul("a\0b", 3);
  counter.labels({with_nul}).inc();
  counter.labels({std::string("a")}).inc(5);  // a distinct series: the bytes after NUL count
  EXPECT_EQ(counter.labels({with_nul}).value(), 1);
  using namespace std::string_literals;
  EXPECT_TRUE(has_line(text_of(registry), "c_total{v=\"a\0b\"} 1.0"s))
      << text_of(registry);
}

TEST(BadInput, LabelValueOrHelpTextNotValidUtf8IsAnError) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .labelnames = {"v"},
                            .registry = &registry}};
  for (const std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const std::string what = error_of([&] { counter.labels({bad}); });
    EXPECT_TRUE(contains(what, "'c'") && contains(what, "not valid UTF-8")) << what;
  }
  EXPECT_EQ(metrics::testing::lines_starting_with(text_of(registry), "c_total"), 0);
  counter.labels({"caf\xC3\xA9 \xF0\x9F\x98\x80"}).inc();  // valid UTF-8 is fine
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Gauge{{.name = "g", .documentation = "\xff", .registry = &registry}};
  }), "documentation is not valid UTF-8"));
  metrics::Info info{{.name = "build", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(contains(error_of([&] { info.info({{"version", "\xff"}}); }), "not valid UTF-8"));
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Enum{{.name = "e", .documentation = "d", .states = {"ok", "\xff"},
                   .registry = &registry}};
  }), "not valid UTF-8"));
}

TEST(BadInput, ExemplarTooLongReservedOrNotUtf8IsAnErrorAndRecordsNothing) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{{.name = "h", .documentation = "d", .buckets = {1},
                                .registry = &registry}};
  const std::string longest(128 - 8, 'x');  // "trace_id" and the value: 128 characters
  counter.inc(1, {{"trace_id", longest}});
  const std::string too_long = longest + "x";
  EXPECT_TRUE(contains(error_of([&] { counter.inc(1, {{"trace_id", too_long}}); }), "128"));
  EXPECT_TRUE(contains(error_of([&] { histogram.observe(0.5, {{"trace_id", too_long}}); }),
                       "128"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(1, {{"__reserved", "x"}}); }), "reserved"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(1, {{"trace_id", "\xff"}}); }), "UTF-8"));
  EXPECT_TRUE(contains(error_of([&] { counter.inc(1, {{"a", "1"}, {"a", "2"}}); }), "twice"));
  EXPECT_EQ(counter.value(), 1);
  EXPECT_TRUE(contains(openmetrics_of(registry), "c_total 1.0 # {trace_id=\"" + longest + "\"}"));
  EXPECT_TRUE(has_line(text_of(registry), "h_count 0.0"));
}

TEST(BadInput, BadBucketsAreAnError) {
  metrics::Registry registry;
  for (const std::vector<double>& bad : {std::vector<double>{2, 1}, std::vector<double>{1, 1},
                                         std::vector<double>{1, kNaN}}) {
    EXPECT_TRUE(contains(error_of([&] {
      metrics::Histogram{{.name = "h", .documentation = "d", .buckets = bad,
                          .registry = &registry}};
    }), "'h'"));
  }
  EXPECT_THROW(metrics::exponential_buckets(0, 2, 10), metrics::Error);
  EXPECT_THROW(metrics::linear_buckets(1, kNaN, 10), metrics::Error);
  EXPECT_EQ(text_of(registry), "");
}

TEST(BadInput, SameNameWithAnotherDefinitionIsAnError) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  EXPECT_TRUE(contains(error_of([&] {
    metrics::Gauge{{.name = "c_total", .documentation = "d", .registry = &registry}};
  }), "c"));
  metrics::Counter same{{.name = "c", .documentation = "d", .registry = &registry}};
  same.inc();
  EXPECT_EQ(counter.value(), 1);  // an identical definition is the same metric
}

TEST(BadInput, PortInUseIsAnErrorNamingTheAddress) {
  metrics::Exposer first{{.listen = {"127.0.0.1:0"}}};
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  const std::string what = error_of([&] { metrics::Exposer second{{.listen = {address}}}; });
  EXPECT_TRUE(contains(what, "'" + address + "'")) << what;
}

TEST(BadInput, UnreachableBindAddressIsAnError) {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
  const std::string what =
      error_of([] { metrics::Exposer exposer{{.listen = {"192.0.2.1:0"}}}; });
  EXPECT_TRUE(contains(what, "192.0.2.1")) << what;
  EXPECT_TRUE(contains(error_of([] { metrics::Exposer exposer{{.listen = {"not-an-ip:1"}}}; }),
                       "not-an-ip"));
}

TEST(BadInput, BadTlsConfigurationIsAnError) {
  const std::string what = error_of([] {
    metrics::Exposer exposer{{.listen = {"127.0.0.1:0"},
                              .tls_certificate = "/nonexistent/bentoml-metrics.pem"}};
  });
  EXPECT_NE(what, "no exception");
  EXPECT_TRUE(contains(what, "127.0.0.1:0")) << what;
}
