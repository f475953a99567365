// What every family shares: child lookup and creation, remove/clear, label blocks, child memory.
#include "bentoml/metrics/detail/family.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/error.hpp"
#include "common/label_escaping.hpp"
#include "storage/child_memory.hpp"
#include "storage/fork_safety.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {

void* allocate_aligned(std::size_t size) {
  return ::operator new (size, std::align_val_t{kCacheLine});
}

void free_aligned(void* pointer) noexcept {
  if (pointer != nullptr) ::operator delete (pointer, std::align_val_t{kCacheLine});
}

// ---- label blocks ---------------------------------------------------------------------------

namespace {
void put_word(char* destination, std::size_t index, std::uint32_t value) {
  std::memcpy(destination + index * sizeof value, &value, sizeof value);
}
}  // namespace

std::size_t label_block_size(const std::string_view* values, std::size_t count) {
  std::size_t size = (1 + count) * sizeof(std::uint32_t);
  for (std::size_t i = 0; i < count; ++i) size += values[i].size();
  return size;
}

void write_label_block(char* destination, const std::string_view* values, std::size_t count) {
  char* cursor = destination + (1 + count) * sizeof(std::uint32_t);
  std::uint32_t end = 0;
  bool escapes = false;
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(cursor + end, values[i].data(), values[i].size());
    end += static_cast<std::uint32_t>(values[i].size());
    put_word(destination, 1 + i, end);
    escapes = escapes || needs_escaping(values[i]);
  }
  put_word(destination, 0,
           static_cast<std::uint32_t>(count) | (escapes ? LabelBlock::kEscapes : 0));
}

namespace {

/// Where a child's parts go: [record][labels, when they fit in the padding][cell storage]
/// [labels, otherwise].
struct ChildLayout {
  std::size_t cell_offset;
  std::size_t labels_offset;
  std::size_t size;
};

ChildLayout child_layout(std::size_t record_size, std::size_t cell_bytes,
                         std::size_t label_bytes) noexcept {
  if (cell_bytes == 0) return {record_size, record_size, record_size + label_bytes};
  const std::size_t cell_offset = (record_size + kCacheLine - 1) / kCacheLine * kCacheLine;
  if (label_bytes <= cell_offset - record_size) {
    return {cell_offset, record_size, cell_offset + cell_bytes};
  }
  return {cell_offset, cell_offset + cell_bytes, cell_offset + cell_bytes + label_bytes};
}

}  // namespace

std::size_t child_bytes(std::size_t record_size, std::size_t cell_bytes,
                        const FamilyIdentity& identity, const std::string_view* values) {
  return child_layout(record_size, cell_bytes, label_block_size(values, identity.labelnames.size()))
      .size;
}

ChildMemory allocate_child(std::size_t record_size, std::size_t cell_bytes,
                           const FamilyIdentity& identity, const std::string_view* values,
                           ChildArena* arena) {
  const std::size_t count = identity.labelnames.size();
  const ChildLayout layout = child_layout(record_size, cell_bytes, label_block_size(values, count));
  char* memory = static_cast<char*>(arena != nullptr ? arena->allocate(layout.size)
                                                     : ::operator new(layout.size));
  write_label_block(memory + layout.labels_offset, values, count);
  return {memory, memory + layout.cell_offset, memory + layout.labels_offset};
}

void free_child(void* record) noexcept { ::operator delete(record); }

// ---- FamilyBase -----------------------------------------------------------------------------

namespace {
/// The next family's lookup id: never 0, never reused (2^64 families would take millennia).
std::atomic<std::uint64_t> next_lookup_id{1};
}  // namespace

FamilyBase::FamilyBase(FamilyIdentity identity)
    : identity_(std::move(identity)),
      label_count_(static_cast<std::uint32_t>(identity_.labelnames.size())),
      lookup_id_(next_lookup_id.fetch_add(1, std::memory_order_relaxed)) {
  track_for_fork(this);
}

FamilyBase::~FamilyBase() { untrack_for_fork(this); }

void FamilyBase::before_fork() noexcept {}
void FamilyBase::after_fork_in_parent() noexcept {}
void FamilyBase::after_fork_in_child() noexcept {}

void FamilyBase::destroy_children() noexcept {
  untrack_for_fork(this);  // before any child is freed: the fork handlers walk the children
  ChildHeader* child = index_.first();
  while (child != nullptr) {
    ChildHeader* next = child->next_in_order.load(std::memory_order_relaxed);
    destroy_child(child);
    child = next;
  }
}

ChildHeader* FamilyBase::look_up(std::initializer_list<LabelValue> values) {
  if (values.size() != label_count()) throw_value_count(values.size());
  // The last lookup again, for values longer than the inline path compares.
  if (ChildHeader* hit = last_lookup<false>(values)) return hit;
  // Positional values are already in label-name order: look them up where they are.
  const std::uint64_t hash = hash_values(values.begin(), values.size());
  ChildHeader* found = index_.find(values.begin(), hash);
  if (found == nullptr || !found->active.load(std::memory_order_relaxed)) {
    found = get_or_create(values, hash);
  }
  tls_last_lookups[lookup_id_ % kLastLookups] = {lookup_id_, found};
  return found;
}

ChildHeader* FamilyBase::get_or_create(std::initializer_list<LabelValue> values,
                                       std::uint64_t hash) {
  OrderedValues ordered(values.size());
  std::size_t index = 0;
  for (const LabelValue& value : values) ordered[index++] = value.view();
  return get_or_create(ordered.data(), hash);
}

ChildHeader* FamilyBase::get_or_create(const std::string_view* values, std::uint64_t hash) {
  std::lock_guard<std::mutex> lock(index_.creation_mutex());
  ChildHeader* child = index_.find(values, hash);
  if (child == nullptr) {
    // Checked once, when the child is made: a found child was checked then, so the lookup of an
    // existing child stays free of it. Invalid UTF-8 would make the whole scrape unreadable.
    for (std::size_t i = 0; i < label_count(); ++i) {
      if (!valid_utf8(values[i])) {
        throw Error("metric '" + identity_.name + "': the value of label '" +
                    identity_.labelnames[i] + "' is not valid UTF-8");
      }
    }
    child = make_child(values);
    child->hash = hash;
    child->created = unix_time_now_in_microseconds();
    index_.insert_locked(child);
  } else if (!child->active.load(std::memory_order_relaxed)) {
    // Revived after remove(): the same storage comes back, so handles never dangle and memory
    // stays bounded by the number of distinct label sets. Its values resume where they were.
    child->active.store(true, std::memory_order_release);
  }
  return child;
}

void FamilyBase::order_by_name(std::initializer_list<LabelPair> pairs,
                               OrderedValues& ordered) const {
  const auto& names = identity_.labelnames;
  if (pairs.size() != names.size()) throw_value_count(pairs.size());
  // As many pairs as names, each name known and none twice: every name is given exactly once.
  for (auto pair = pairs.begin(); pair != pairs.end(); ++pair) {
    std::size_t i = 0;
    while (i < names.size() && names[i] != pair->name()) ++i;
    if (i == names.size()) {
      throw Error("metric '" + identity_.name + "': unknown label name '" +
                  std::string(pair->name()) + "'");
    }
    for (auto earlier = pairs.begin(); earlier != pair; ++earlier) {
      if (earlier->name() == pair->name()) {
        throw Error("metric '" + identity_.name + "': label '" + names[i] + "' given twice");
      }
    }
    ordered[i] = pair->value();
  }
}

void FamilyBase::throw_value_count(std::size_t given) const {
  std::string expected;
  for (const std::string& name : identity_.labelnames) {
    expected += expected.empty() ? name : ", " + name;
  }
  throw Error("metric '" + identity_.name + "': expected " +
              std::to_string(identity_.labelnames.size()) + " label value(s) (" + expected +
              "), got " + std::to_string(given));
}

void FamilyBase::remove_values(const std::string_view* values) {
  std::lock_guard<std::mutex> lock(index_.creation_mutex());
  if (ChildHeader* child = index_.find(values, hash_values(values, label_count()))) {
    child->active.store(false, std::memory_order_release);
  }
}

void FamilyBase::remove(std::initializer_list<LabelValue> values) {
  if (values.size() != label_count()) throw_value_count(values.size());
  OrderedValues ordered(values.size());
  std::size_t index = 0;
  for (const LabelValue& value : values) ordered[index++] = value.view();
  remove_values(ordered.data());
}

void FamilyBase::remove(std::initializer_list<LabelPair> pairs) {
  OrderedValues ordered(label_count());
  order_by_name(pairs, ordered);
  remove_values(ordered.data());
}

void FamilyBase::clear() {
  std::lock_guard<std::mutex> lock(index_.creation_mutex());
  for (ChildHeader* child = index_.first(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_acquire)) {
    child->active.store(false, std::memory_order_release);
  }
}

}  // namespace bentoml::metrics::detail
