// The hot path does not allocate once a child exists: labels() of an existing child, inc, dec,
// set, observe and exemplars. Its own binary, since it replaces the global operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "bentoml/metrics.hpp"

namespace {
std::atomic<long> allocations{0};
}

// Every plain form of new and delete (not the aligned ones, which keep their own pairing),
// so that allocations and frees always meet in malloc/free, sanitizers included.
namespace {
void* counted_allocation(std::size_t size) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* pointer = counted_allocation(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* pointer = counted_allocation(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { std::free(pointer); }

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
