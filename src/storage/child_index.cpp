// The creation side of the child index: see bentoml/metrics/detail/child_index.hpp.
#include "bentoml/metrics/detail/child_index.hpp"

#include <new>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {
namespace {
constexpr std::size_t kInitialCapacity = 8;
}

ChildTable* ChildTable::create(std::size_t capacity) {
  const std::size_t size = sizeof(ChildTable) + (capacity - 1) * sizeof(std::atomic<ChildHeader*>);
  auto* table = new (allocate_aligned(size)) ChildTable();
  table->mask = capacity - 1;
  for (std::size_t i = 0; i < capacity; ++i) {
    new (&table->slots[i]) std::atomic<ChildHeader*>(nullptr);
  }
  return table;
}

void ChildTable::destroy(ChildTable* table) noexcept { free_aligned(table); }

ChildIndex::ChildIndex() : table_(ChildTable::create(kInitialCapacity)) {}

ChildIndex::~ChildIndex() {
  ChildTable::destroy(table_.load(std::memory_order_relaxed));
  for (ChildTable* table : retired_tables_) ChildTable::destroy(table);
}

namespace {
void place(ChildTable* table, ChildHeader* child) noexcept {
  std::size_t index = child->hash & table->mask;
  while (table->slots[index].load(std::memory_order_relaxed) != nullptr) {
    index = (index + 1) & table->mask;
  }
  // release: a reader that finds the pointer (acquire) sees the child fully constructed.
  table->slots[index].store(child, std::memory_order_release);
}
}  // namespace

void ChildIndex::insert_locked(ChildHeader* child) {
  ChildTable* table = table_.load(std::memory_order_relaxed);
  const std::size_t capacity = table->mask + 1;
  if ((size_ + 1) * 2 > capacity) {  // keep the load at most 1/2: probes stay short
    retired_tables_.reserve(retired_tables_.size() + 1);
    ChildTable* larger = ChildTable::create(capacity * 2);
    for (std::size_t i = 0; i < capacity; ++i) {
      if (ChildHeader* existing = table->slots[i].load(std::memory_order_relaxed)) {
        place(larger, existing);
      }
    }
    table_.store(larger, std::memory_order_release);
    // Readers may still probe the old table: it is freed with the family.
    retired_tables_.push_back(table);
    table = larger;
  }
  place(table, child);
  ++size_;
  if (last_ == nullptr) {
    first_.store(child, std::memory_order_release);
  } else {
    last_->next_in_order.store(child, std::memory_order_release);
  }
  last_ = child;
}

}  // namespace bentoml::metrics::detail
