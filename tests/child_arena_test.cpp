// The histogram family's child arena: cache-line-aligned blocks that never overlap, chunks that
// grow from one child's size, and giving back the last block of a failed construction.
#include "bentoml/metrics/detail/child_arena.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace detail = bentoml::metrics::detail;

namespace {

TEST(ChildArena, BlocksAreAlignedDistinctAndWritable) {
  detail::ChildArena arena;
  std::vector<std::pair<char*, std::size_t>> blocks;
  for (std::size_t i = 0; i < 5000; ++i) {
    const std::size_t size = 1 + (i * 37) % 900 + (i % 500 == 0 ? 100000 : 0);  // a few huge
    auto* block = static_cast<char*>(arena.allocate(size));
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u) << i;
    std::memset(block, static_cast<int>(i & 0xFF), size);  // ASan: inside an allocation
    blocks.emplace_back(block, size);
  }
  std::sort(blocks.begin(), blocks.end());
  for (std::size_t i = 1; i < blocks.size(); ++i) {
    EXPECT_LE(blocks[i - 1].first + blocks[i - 1].second, blocks[i].first) << "overlap at " << i;
  }
}

TEST(ChildArena, TheLastBlockCanBeGivenBack) {
  detail::ChildArena arena;
  void* first = arena.allocate(600);
  void* second = arena.allocate(600);
  arena.release_last(second, 600);
  EXPECT_EQ(arena.allocate(600), second);  // the same bytes again
  arena.release_last(first, 600);          // not the last one: kept
  EXPECT_NE(arena.allocate(600), first);
}

}  // namespace
