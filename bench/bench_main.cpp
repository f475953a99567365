// main() for the benchmarks, and the global allocation counter behind bench::allocations().
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "bench_support.hpp"
#include "support/counting_operator_new.hpp"

std::uint64_t bench::allocations() noexcept {
  return static_cast<std::uint64_t>(
      counting_operator_new::allocations.load(std::memory_order_relaxed));
}

int main(int argc, char** argv) {
  // glibc skips the atomic in pthread_mutex_lock until a process has had a second thread: make
  // this process multi-threaded first, so that mutex-based code is timed as it runs in a service.
  std::thread([] {}).join();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
