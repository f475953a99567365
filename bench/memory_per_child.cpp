// Bytes per child: resident-set growth over 100,000 children with two labels, for this library
// and prometheus-cpp, each measured in a fresh forked process so that the two never share heap.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

constexpr int kChildren = 100000;

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

/// Runs `build` in a forked process and returns its resident growth per child.
double bytes_per_child(const std::function<void()>& build) {
  int pipe_ends[2];
  if (pipe(pipe_ends) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    const long before = resident_bytes();
    build();
    const double per_child = static_cast<double>(resident_bytes() - before) / kChildren;
    (void)!write(pipe_ends[1], &per_child, sizeof per_child);
    _exit(0);
  }
  double per_child = -1;
  (void)!read(pipe_ends[0], &per_child, sizeof per_child);
  waitpid(pid, nullptr, 0);
  close(pipe_ends[0]);
  close(pipe_ends[1]);
  return per_child;
}

std::string value(int index) { return "child_" + std::to_string(index); }

}  // namespace

int main() {
  const double our_counter = bytes_per_child([] {
    static metrics::Registry registry;
    metrics::Counter counter{{.name = "c",
                              .documentation = "d",
                              .labelnames = {"path", "device_id"},
                              .registry = &registry}};
    for (int i = 0; i < kChildren; ++i) counter.labels({value(i), "cuda:0"}).inc();
  });
  const double their_counter = bytes_per_child([] {
    static prometheus::Registry registry;
    auto& family = prometheus::BuildCounter().Name("c").Help("d").Register(registry);
    for (int i = 0; i < kChildren; ++i) {
      family.Add({{"path", value(i)}, {"device_id", "cuda:0"}}).Increment();
    }
  });
  const auto bounds = metrics::exponential_buckets(0.001, 1.5, 10.0);
  const double our_histogram = bytes_per_child([&] {
    static metrics::Registry registry;
    metrics::Histogram histogram{{.name = "h",
                                  .documentation = "d",
                                  .labelnames = {"path", "device_id"},
                                  .buckets = bounds,
                                  .registry = &registry}};
    for (int i = 0; i < kChildren; ++i) histogram.labels({value(i), "cuda:0"}).observe(0.01);
  });
  const double their_histogram = bytes_per_child([&] {
    static prometheus::Registry registry;
    auto& family = prometheus::BuildHistogram().Name("h").Help("d").Register(registry);
    const prometheus::Histogram::BucketBoundaries finite(bounds.begin(), bounds.end() - 1);
    for (int i = 0; i < kChildren; ++i) {
      family.Add({{"path", value(i)}, {"device_id", "cuda:0"}}, finite).Observe(0.01);
    }
  });
  std::printf("memory_per_child  ours_bytes  prometheus_cpp_bytes  ratio\n");
  std::printf("counter           %10.0f  %20.0f  %5.2f\n", our_counter, their_counter,
              our_counter / their_counter);
  std::printf("histogram         %10.0f  %20.0f  %5.2f\n", our_histogram, their_histogram,
              our_histogram / their_histogram);
  return 0;
}
