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

// Every plain form of new and delete (not the aligned ones, which keep their own pairing),
// so that allocations and frees always meet in malloc/free, sanitizers included.
namespace {
void* counted_allocation(std::size_t size) noexcept {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
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
