// Replaces every plain form of the global operator new and delete with malloc/free plus a count
// of allocations, for the tests and benchmarks that prove the hot path allocates nothing.
// Include it in exactly one source file of a program (replacement functions cannot be inline).
// The aligned forms are left alone: they keep their own new/delete pairing, sanitizers included.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace counting_operator_new {

/// Heap allocations through operator new so far.
inline std::atomic<long> allocations{0};

inline void* allocate(std::size_t size) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

}  // namespace counting_operator_new

void* operator new(std::size_t size) {
  if (void* pointer = counting_operator_new::allocate(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* pointer = counting_operator_new::allocate(size)) return pointer;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counting_operator_new::allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counting_operator_new::allocate(size);
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { std::free(pointer); }
