// The hot path does not allocate once a child exists: labels() of an existing child, inc, dec,
// set, observe and exemplars. Its own binary, since it replaces the global operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "bentoml/metrics.hpp"
#include "support/counting_operator_new.hpp"

using counting_operator_new::allocations;

namespace metrics = bentoml::metrics;

TEST(Allocation, RecordingIntoExistingChildrenAllocatesNothing) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"code"}, .registry = &registry}};
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  metrics::Histogram histogram{{.name = "h",
                                .documentation = "d",
                                .labelnames = {"torch_version", "device_id"},
                                .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                .registry = &registry}};
  metrics::Summary summary{{.name = "s", .documentation = "d", .registry = &registry}};
  const auto record = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      counter.labels({"200"}).inc();
      counter.labels({{"code", "200"}}).inc(0.5);
      counter.labels({"200"}).inc(1, {{"trace_id", "abc"}});
      gauge.inc();
      gauge.set(i);
      { auto scope = gauge.track_inprogress(); }
      histogram.labels({"2.1.0", "cuda:0"}).observe(0.01 * i);
      histogram.labels({"2.1.0", "cuda:0"}).observe(0.5, {{"trace_id", "def"}});
      { auto timer = histogram.labels({"2.1.0", "cuda:0"}).time(); }
      summary.observe(i);
    }
  };
  // Warm up from two threads: the children exist, contended cells and shards are in place.
  std::thread other([&] { record(1000); });
  record(1000);
  other.join();
  std::thread again([&] {
    const long before = allocations.load();
    record(10000);
    EXPECT_EQ(allocations.load() - before, 0);
  });
  again.join();
  const long before = allocations.load();
  record(10000);
  EXPECT_EQ(allocations.load() - before, 0);
}

TEST(Allocation, ScrapingTheProcessCollectorAllocatesOnlyText) {
  metrics::Registry registry;
  registry.register_collector(std::make_shared<metrics::ProcessCollector>());
  for (const metrics::Format format :
       {metrics::Format::text_0_0_4, metrics::Format::openmetrics_1_0_0}) {
    std::string out;
    metrics::write_latest(out, registry, format);
    ASSERT_NE(out.find("process_open_fds"), std::string::npos) << out;
    out.reserve(out.size() * 4);  // the text's own growth is not counted below
    const long before = allocations.load();
    for (int i = 0; i < 20; ++i) {
      out.clear();
      metrics::write_latest(out, registry, format);
    }
    EXPECT_EQ(allocations.load() - before, 0);
    EXPECT_NE(out.find("process_cpu_seconds_total"), std::string::npos) << out;
  }
}
