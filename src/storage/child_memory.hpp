// Internal: making, walking and freeing the children of a family, for the families' sources.
//
// A child is one allocation: its Child<Cell> record, then the storage its cell points into (a
// histogram's shard or multiprocess words), then its label block. Its hash and `_created` are
// set by FamilyBase when it is made.
#pragma once

#include <cstddef>
#include <string_view>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

/// The size of the label block for `count` values.
std::size_t label_block_size(const std::string_view* values, std::size_t count);
/// Writes the label block for `count` values into `destination` (label_block_size bytes).
void write_label_block(char* destination, const std::string_view* values, std::size_t count);

/// Where a new child's parts go: construct its record at `record`; its label block is written.
struct ChildMemory {
  void* record;
  char* cell_storage;  ///< `cell_bytes` long; 64-byte aligned when not empty
  const char* labels;  ///< the label block, for ChildHeader::labels
};

/// Allocates a child of `record_size` bytes followed by `cell_bytes` of cell storage and the
/// label block of `values` (label-name order). Children with cell storage are cache-line
/// aligned so that a shard's hot words share no line with the header; the others use the
/// default alignment, which costs no padding (glibc's aligned allocation would waste up to 64
/// bytes a child). Free with free_child(record, cell_bytes != 0).
ChildMemory allocate_child(std::size_t record_size, std::size_t cell_bytes,
                           const FamilyIdentity& identity, const std::string_view* values);
void free_child(void* record, bool aligned) noexcept;

/// A child record of `Cell` built in memory without cell storage; the usual case.
template <class Cell, class... Args>
Child<Cell>* new_child(const FamilyIdentity& identity, const std::string_view* values,
                       Args&&... args) {
  const ChildMemory memory = allocate_child(sizeof(Child<Cell>), 0, identity, values);
  auto* child = new (memory.record) Child<Cell>(static_cast<Args&&>(args)...);
  child->labels = memory.labels;
  return child;
}

template <class Cell>
void delete_child(ChildHeader* child, bool aligned) noexcept {
  auto* typed = static_cast<Child<Cell>*>(child);
  typed->~Child<Cell>();
  free_child(typed, aligned);
}

/// Calls `visit(Cell&)` for every child, active or not (fork handling).
template <class Cell, class Visit>
void for_each_child_cell(const FamilyBase& family, Visit&& visit) {
  for (ChildHeader* child = family.first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_relaxed)) {
    visit(static_cast<Child<Cell>*>(child)->cell);
  }
}

}  // namespace bentoml::metrics::detail
