// Internal: the lock-free index from label values to children. Not part of the API.
//
// Lookup of an existing child takes no lock and allocates nothing: hash the values as passed,
// probe an open-addressing table of atomic child pointers (acquire loads, so a found child is
// fully built), compare the full values in place. Insertion and growth happen under a mutex
// that only creators take; lookups never wait on it. A full-enough table is replaced by a
// larger copy published with a release store; readers still probing the old table finish on it
// (a miss there sends them to the slow path, which looks again under the mutex). Old tables and
// children are freed only when the family is destroyed, so no reader can touch freed memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/child.hpp"

namespace bentoml::metrics::detail {

struct ChildTable {
  std::size_t mask;                    ///< capacity - 1, capacity a power of two
  std::atomic<ChildHeader*> slots[1];  ///< really capacity entries

  static ChildTable* create(std::size_t capacity);
  static void destroy(ChildTable* table) noexcept;
};

class ChildIndex {
 public:
  ChildIndex();
  ChildIndex(const ChildIndex&) = delete;
  ChildIndex& operator=(const ChildIndex&) = delete;
  ~ChildIndex();

  /// The child with these values, or null. Lock-free; never allocates.
  template <class Value>
  [[nodiscard]] ChildHeader* find(const Value* values, std::uint64_t hash) const noexcept {
    const ChildTable* table = table_.load(std::memory_order_acquire);
    std::size_t index = hash & table->mask;
    for (;;) {
      ChildHeader* child = table->slots[index].load(std::memory_order_acquire);
      if (child == nullptr) return nullptr;
      if (child->hash == hash && child->label_block().equals(values)) return child;
      index = (index + 1) & table->mask;
    }
  }

  /// Adds `child` (not yet present). The caller holds creation_mutex().
  void insert_locked(ChildHeader* child);

  /// The first child in creation order (acquire), for exposition and clear().
  [[nodiscard]] ChildHeader* first() const noexcept {
    return first_.load(std::memory_order_acquire);
  }

  /// Serializes creators, remove() and clear(); never taken by lookups, recording or scrapes.
  std::mutex& creation_mutex() noexcept { return creation_mutex_; }

 private:
  std::atomic<ChildTable*> table_;
  std::size_t size_ = 0;
  std::vector<ChildTable*> retired_tables_;
  std::atomic<ChildHeader*> first_{nullptr};
  ChildHeader* last_ = nullptr;
  std::mutex creation_mutex_;
};

}  // namespace bentoml::metrics::detail
