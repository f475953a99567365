// Chunks carved into cache-line-aligned children; see child_arena.hpp.
#include "bentoml/metrics/detail/child_arena.hpp"

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/family.hpp"

// Under AddressSanitizer, the parts of a chunk that no child was given are poisoned, so that a
// write past the end of one child into the next is reported as the heap overflow it would be
// with one allocation a child.
#if defined(__SANITIZE_ADDRESS__)
#define BENTOML_METRICS_ARENA_POISONING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENTOML_METRICS_ARENA_POISONING 1
#endif
#endif
#if defined(BENTOML_METRICS_ARENA_POISONING)
#include <sanitizer/asan_interface.h>
#endif

namespace bentoml::metrics::detail {
namespace {

void poison(const void* begin, std::size_t size) noexcept {
#if defined(BENTOML_METRICS_ARENA_POISONING)
  __asan_poison_memory_region(begin, size);
#else
  (void)begin;
  (void)size;
#endif
}

void unpoison(const void* begin, std::size_t size) noexcept {
#if defined(BENTOML_METRICS_ARENA_POISONING)
  __asan_unpoison_memory_region(begin, size);
#else
  (void)begin;
  (void)size;
#endif
}

constexpr std::size_t round_to_line(std::size_t size) noexcept {
  return (size + kCacheLine - 1) / kCacheLine * kCacheLine;
}

}  // namespace

ChildArena::~ChildArena() {
  for (const Chunk& chunk : chunks_) {
    unpoison(chunk.begin, chunk.bytes);
    free_aligned(chunk.begin);
  }
}

void* ChildArena::allocate(std::size_t requested) {
  const std::size_t size = round_to_line(requested);
  if (static_cast<std::size_t>(end_ - next_) < size) {
    // A new chunk, twice the previous one up to kChunkBytes: a family of one child (an
    // unlabelled metric) takes just that child's bytes, a family of thousands 64 KiB at a time.
    // What was left of the previous chunk, less than one child, stays unused.
    const std::size_t doubled =
        last_chunk_bytes_ * 2 < kChunkBytes ? last_chunk_bytes_ * 2 : kChunkBytes;
    const std::size_t bytes = size > doubled ? size : doubled;
    // So that push_back cannot throw after allocating; doubling, since a reserve of one more
    // each time left every old array as a hole between the chunks (about 30 bytes a child at
    // 100,000 children).
    if (chunks_.size() == chunks_.capacity()) chunks_.reserve(2 * chunks_.size() + 8);
    auto* chunk = static_cast<char*>(allocate_aligned(bytes));
    chunks_.push_back({chunk, bytes});
    poison(chunk, bytes);
    next_ = chunk;
    end_ = chunk + bytes;
    last_chunk_bytes_ = bytes;
  }
  void* block = next_;
  next_ += size;
  unpoison(block, requested);
  return block;
}

void ChildArena::release_last(void* block, std::size_t size) noexcept {
  if (static_cast<char*>(block) + round_to_line(size) != next_) return;
  poison(block, size);
  next_ = static_cast<char*>(block);
}

}  // namespace bentoml::metrics::detail
