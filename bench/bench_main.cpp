// main() for the benchmarks, and the global allocation counter behind bench::allocations().
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "bench_support.hpp"

namespace {
std::atomic<std::uint64_t> allocation_count{0};
}

void* operator new(std::size_t size) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  if (void* pointer = std::malloc(size == 0 ? 1 : size)) return pointer;
  throw std::bad_alloc();
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }

std::uint64_t bench::allocations() noexcept {
  return allocation_count.load(std::memory_order_relaxed);
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
