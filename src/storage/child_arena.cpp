// Chunks carved into cache-line-aligned children; see child_arena.hpp.
#include "bentoml/metrics/detail/child_arena.hpp"

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {
namespace {

constexpr std::size_t round_to_line(std::size_t size) noexcept {
  return (size + kCacheLine - 1) / kCacheLine * kCacheLine;
}

}  // namespace

ChildArena::~ChildArena() {
  for (char* chunk : chunks_) free_aligned(chunk);
}

void* ChildArena::allocate(std::size_t size) {
  size = round_to_line(size);
  if (static_cast<std::size_t>(end_ - next_) < size) {
    // A new chunk, twice the previous one up to kChunkBytes: a family of one child (an
    // unlabelled metric) takes just that child's bytes, a family of thousands 64 KiB at a time.
    // What was left of the previous chunk, less than one child, stays unused.
    const std::size_t doubled =
        last_chunk_bytes_ * 2 < kChunkBytes ? last_chunk_bytes_ * 2 : kChunkBytes;
    const std::size_t bytes = size > doubled ? size : doubled;
    chunks_.reserve(chunks_.size() + 1);  // so that push_back cannot throw after allocating
    auto* chunk = static_cast<char*>(allocate_aligned(bytes));
    chunks_.push_back(chunk);
    next_ = chunk;
    end_ = chunk + bytes;
    last_chunk_bytes_ = bytes;
  }
  void* block = next_;
  next_ += size;
  return block;
}

void ChildArena::release_last(void* block, std::size_t size) noexcept {
  if (static_cast<char*>(block) + round_to_line(size) == next_) next_ = static_cast<char*>(block);
}

}  // namespace bentoml::metrics::detail
