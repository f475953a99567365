// Internal, not part of the API: where a histogram family's children live. Children are never
// freed one at a time (remove() and clear() keep them, so that handles stay valid): a family
// frees them all when it is destroyed. So they are carved from chunks (each twice the previous,
// up to 64 KiB), each child on a cache line of its own, with no per-allocation header and no
// alignment slack (an aligned operator new per child cost about 80 bytes of both).
#pragma once

#include <cstddef>
#include <vector>

namespace bentoml::metrics::detail {

class ChildArena {
 public:
  ChildArena() = default;
  ChildArena(const ChildArena&) = delete;
  ChildArena& operator=(const ChildArena&) = delete;
  ~ChildArena();

  /// `requested` bytes, 64-byte aligned, valid until the arena is destroyed. Callers serialize
  /// (a family's creation mutex). Throws std::bad_alloc.
  void* allocate(std::size_t requested);
  /// Gives back the block allocate() returned last (a child whose construction failed).
  void release_last(void* block, std::size_t size) noexcept;

 private:
  static constexpr std::size_t kChunkBytes = 64 * 1024;

  struct Chunk {
    char* begin;
    std::size_t bytes;
  };
  std::vector<Chunk> chunks_;
  char* next_ = nullptr;  ///< the first free byte of the newest chunk
  char* end_ = nullptr;
  std::size_t last_chunk_bytes_ = 0;
};

}  // namespace bentoml::metrics::detail
