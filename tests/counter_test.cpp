#include "bentoml/metrics/counter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "test_support.hpp"

namespace metrics = bentoml::metrics;
using metrics::testing::contains;
using metrics::testing::has_line;
using metrics::testing::sample_value;

TEST(Counter, IncrementsAndExposesTotalAndCreated) {
  metrics::Registry registry;
  metrics::Counter requests{{.name = "requests",
                             .documentation = "Requests",
                             .labelnames = {"code"},
                             .registry = &registry}};
  requests.labels({"200"}).inc();
  requests.labels({"200"}).inc(2.5);
  requests.labels({{"code", "500"}}).inc(3);
  const std::string text = metrics::generate_latest(registry);
  EXPECT_TRUE(has_line(text, "# HELP requests_total Requests"));
  EXPECT_TRUE(has_line(text, "# TYPE requests_total counter"));
  EXPECT_TRUE(has_line(text, "requests_total{code=\"200\"} 3.5"));
  EXPECT_TRUE(has_line(text, "requests_total{code=\"500\"} 3.0"));
  EXPECT_TRUE(has_line(text, "# TYPE requests_created gauge"));
  EXPECT_GT(sample_value(text, "requests_created{code=\"200\"}"), 1.6e9);
  EXPECT_DOUBLE_EQ(requests.labels({"200"}).value(), 3.5);
}

TEST(Counter, WithoutLabelsRecordsDirectlyAndIsExposedAtZero) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "jobs_total", .documentation = "Jobs", .registry = &registry}};
  EXPECT_EQ(counter.name(), "jobs");  // a trailing _total is dropped, as in Python
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "jobs_total 0.0"));
  counter.inc();
  counter.inc(41);
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "jobs_total 42.0"));
  EXPECT_EQ(counter.value(), 42);
}

TEST(Counter, NegativeOrNanIncrementThrowsAndChangesNothing) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto child = counter.labels({"x"});
  child.inc(5);
  try {
    child.inc(-1);
    FAIL() << "no exception";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "'c'")) << error.what();
    EXPECT_TRUE(contains(error.what(), "non-negative")) << error.what();
  }
  EXPECT_THROW(child.inc(std::nan("")), metrics::Error);
  EXPECT_THROW(child.inc(-0.5, {{"trace_id", "a"}}), metrics::Error);
  EXPECT_EQ(child.value(), 5);
}

TEST(Counter, RecordingOnALabelledMetricThrows) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  EXPECT_THROW(counter.inc(), metrics::Error);
  EXPECT_THROW((void)counter.value(), metrics::Error);
}

TEST(Counter, WholeIncrementsStayExactPastTwoToThe53) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "big", .documentation = "d", .registry = &registry}};
  const double two_to_53 = 9007199254740992.0;
  counter.inc(two_to_53);
  counter.inc();  // 2^53 + 1 is not a double
  counter.inc();
  counter.inc();
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "big_total 9007199254740995.0"));
}

TEST(Counter, NamespaceSubsystemAndUnitAreJoinedAsInPython) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "sent",
                            .documentation = "d",
                            .namespace_ = "app",
                            .subsystem = "net",
                            .unit = "bytes",
                            .registry = &registry}};
  EXPECT_EQ(counter.name(), "app_net_sent_bytes");
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(has_line(om, "# UNIT app_net_sent_bytes bytes"));
  EXPECT_TRUE(has_line(om, "app_net_sent_bytes_total 0.0"));
  metrics::Counter already{
      {.name = "size_bytes", .documentation = "d", .unit = "bytes", .registry = &registry}};
  EXPECT_EQ(already.name(), "size_bytes");
}

TEST(Counter, NullRegistryMeansTheDefaultRegistry) {
  metrics::Counter counter{{.name = "counter_test_default_registry", .documentation = "d"}};
  counter.inc(7);
  EXPECT_TRUE(has_line(metrics::generate_latest(), "counter_test_default_registry_total 7.0"));
  EXPECT_TRUE(metrics::default_registry().unregister("counter_test_default_registry"));
}

TEST(Counter, ExemplarsAreValidatedAndShownInOpenMetricsOnly) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  counter.inc(2, {{"trace_id", "abc"}});
  const std::string om = metrics::generate_latest(registry, metrics::Format::openmetrics_1_0_0);
  EXPECT_TRUE(contains(om, "c_total 2.0 # {trace_id=\"abc\"} 2.0 ")) << om;
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "trace_id"));
  EXPECT_THROW(counter.inc(1, {{"trace_id", std::string(200, 'x')}}), metrics::Error);
  EXPECT_THROW(counter.inc(1, {{"bad-name", "x"}}), metrics::Error);
  EXPECT_EQ(counter.value(), 2);  // the rejected calls recorded nothing
}

TEST(Counter, RemoveAndClearHideChildrenWhoseHandlesStayValid) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"l"}, .registry = &registry}};
  auto a = counter.labels({"a"});
  auto b = counter.labels({"b"});
  a.inc();
  b.inc();
  counter.remove({"a"});
  std::string text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "c_total{l=\"a\"}"));
  EXPECT_TRUE(has_line(text, "c_total{l=\"b\"} 1.0"));
  a.inc();  // still valid after remove
  counter.clear();
  text = metrics::generate_latest(registry);
  EXPECT_FALSE(contains(text, "c_total{"));
  EXPECT_FALSE(contains(text, "c_created"));  // no child, no _created family
  counter.labels({"a"}).inc();  // revived: the same child, its values kept (see docs/design.md)
  EXPECT_TRUE(has_line(metrics::generate_latest(registry), "c_total{l=\"a\"} 3.0"));
  counter.remove({{"l", "a"}});
  EXPECT_FALSE(contains(metrics::generate_latest(registry), "c_total{l=\"a\"}"));
  counter.remove({"never-created"});  // no effect, no error
  EXPECT_THROW(counter.remove({"a", "b"}), metrics::Error);
}
