// Internal: making, walking and freeing the children of a family, for the families' sources.
//
// A child is one allocation: its Child<Cell> record, then the storage its cell points into (a
// histogram's shard or multiprocess words), then its label block; or, when the label block fits
// in the padding between the record and the cache-line-aligned storage, the block goes there.
// Its hash and `_created` are set by FamilyBase when it is made.
#pragma once

#include <cstddef>
#include <string_view>

#include "bentoml/metrics/detail/child_arena.hpp"
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
/// label block of `values` (label-name order). Children with cell storage come from `arena`,
/// cache-line aligned so that a shard's hot words share no line with the header, and are freed
/// with it; the others come from operator new with the default alignment, which costs no
/// padding. Free those with free_child.
ChildMemory allocate_child(std::size_t record_size, std::size_t cell_bytes,
                           const FamilyIdentity& identity, const std::string_view* values,
                           ChildArena* arena = nullptr);
/// The bytes allocate_child takes for these arguments (for ChildArena::release_last).
std::size_t child_bytes(std::size_t record_size, std::size_t cell_bytes,
                        const FamilyIdentity& identity, const std::string_view* values);
void free_child(void* record) noexcept;

/// A child record of `Cell` built in memory without cell storage; the usual case.
template <class Cell, class... Args>
Child<Cell>* new_child(const FamilyIdentity& identity, const std::string_view* values,
                       Args&&... args) {
  const ChildMemory memory = allocate_child(sizeof(Child<Cell>), 0, identity, values);
  auto* child = new (memory.record) Child<Cell>(static_cast<Args&&>(args)...);
  child->labels = memory.labels;
  return child;
}

/// Destroys and frees a child that allocate_child made without an arena.
template <class Cell>
void delete_child(ChildHeader* child) noexcept {
  auto* typed = static_cast<Child<Cell>*>(child);
  typed->~Child<Cell>();
  free_child(typed);
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
