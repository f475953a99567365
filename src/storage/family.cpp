// Families: child creation, remove/clear, label blocks, and the per-type child layouts.
#include "bentoml/metrics/detail/family.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/histogram_family.hpp"
#include "bentoml/metrics/error.hpp"
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
  put_word(destination, 0, static_cast<std::uint32_t>(count));
  char* cursor = destination + (1 + count) * sizeof(std::uint32_t);
  std::uint32_t end = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(cursor + end, values[i].data(), values[i].size());
    end += static_cast<std::uint32_t>(values[i].size());
    put_word(destination, 1 + i, end);
  }
}

namespace {

/// Allocates a Child<Cell> followed by `cell_bytes` of cell storage (64-byte aligned) and the
/// label block; returns the child and the cell storage.
template <class Cell>
struct ChildAllocation {
  void* memory;
  char* cell_storage;
  char* label_storage;
};

/// Children with a shard (cell_bytes > 0) are cache-line aligned so the shard's hot words share
/// no line with the header; counters and gauges use the default alignment, which costs no
/// padding (glibc's aligned allocation would waste up to 64 bytes a child).
template <class Cell>
ChildAllocation<Cell> allocate_child(std::size_t cell_bytes, const FamilyIdentity& identity,
                                     const std::string_view* values) {
  const std::size_t header = (sizeof(Child<Cell>) + kCacheLine - 1) / kCacheLine * kCacheLine;
  const std::size_t cell_offset = cell_bytes == 0 ? sizeof(Child<Cell>) : header;
  const std::size_t labels_offset = cell_offset + cell_bytes;
  const std::size_t labels_size = label_block_size(values, identity.labelnames.size());
  char* memory =
      static_cast<char*>(cell_bytes == 0 ? ::operator new(labels_offset + labels_size)
                                         : allocate_aligned(labels_offset + labels_size));
  write_label_block(memory + labels_offset, values, identity.labelnames.size());
  return {memory, memory + cell_offset, memory + labels_offset};
}

template <class Cell>
void finish_child(ChildHeader* child, const char* labels, const std::string_view* values,
                  std::size_t count) {
  child->labels = labels;
  child->hash = hash_values(values, count);
  child->created = unix_time_now();
}

template <class Cell>
void destroy_child_of(ChildHeader* child, bool aligned) noexcept {
  auto* typed = static_cast<Child<Cell>*>(child);
  typed->~Child<Cell>();
  if (aligned) {
    free_aligned(typed);
  } else {
    ::operator delete(typed);
  }
}

}  // namespace

// ---- FamilyBase -----------------------------------------------------------------------------

FamilyBase::FamilyBase(FamilyIdentity identity) : identity_(std::move(identity)) {
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

// ---- per-type children ----------------------------------------------------------------------

ChildHeader* CounterFamily::make_child(const std::string_view* values) {
  ExternalValues* external = external_values();
  std::atomic<std::uint64_t>* word =
      external != nullptr ? external->word(identity(), "_total", values, nullptr) : nullptr;
  auto allocation = allocate_child<CounterStorage>(0, identity(), values);
  auto* child = new (allocation.memory) Child<CounterStorage>();
  if (word != nullptr) child->cell.value.bind_shared_word(word);
  finish_child<CounterStorage>(child, allocation.label_storage, values, label_count());
  return child;
}

void CounterFamily::destroy_child(ChildHeader* child) noexcept {
  destroy_child_of<CounterStorage>(child, false);
}

ChildHeader* GaugeFamily::make_child(const std::string_view* values) {
  ExternalValues* external = external_values();
  std::atomic<std::uint64_t>* word =
      external != nullptr ? external->word(identity(), "", values, nullptr) : nullptr;
  auto allocation = allocate_child<GaugeCell>(0, identity(), values);
  auto* child = new (allocation.memory) Child<GaugeCell>();
  if (word != nullptr) child->cell.bind_shared_word(word);
  finish_child<GaugeCell>(child, allocation.label_storage, values, label_count());
  return child;
}

void GaugeFamily::destroy_child(ChildHeader* child) noexcept {
  destroy_child_of<GaugeCell>(child, false);
}

HistogramFamily::HistogramFamily(FamilyIdentity identity, std::vector<double> finite_bounds)
    : FamilyBase(std::move(identity)), bounds_(std::move(finite_bounds)) {}

ChildHeader* HistogramFamily::make_child(const std::string_view* values) {
  if (ExternalValues* external = external_values()) {
    return make_multiprocess_child(*external, values);
  }
  const std::size_t words = HistogramShard::words(bounds_.size() + 1);
  auto allocation =
      allocate_child<HistogramCell>(words * sizeof(std::atomic<std::uint64_t>), identity(), values);
  auto* shard = reinterpret_cast<std::atomic<std::uint64_t>*>(allocation.cell_storage);
  for (std::size_t i = 0; i < words; ++i) {
    // The storage is 64-byte aligned and words * 8 bytes long (allocate_child).
    new (&shard[i]) std::atomic<std::uint64_t>(0);  // NOLINT(clang-analyzer-cplusplus.PlacementNew)
  }
  auto* child = new (allocation.memory) Child<HistogramCell>(bounds_.data(), bounds_.size(), shard);
  finish_child<HistogramCell>(child, allocation.label_storage, values, label_count());
  return child;
}

ChildHeader* HistogramFamily::make_multiprocess_child(ExternalValues& external,
                                                      const std::string_view* values) {
  // The entries in prometheus_client's order, so that the files are the bytes Python writes: a
  // histogram's `_sum` then its buckets, a summary's `_count` then its `_sum`.
  const std::size_t bucket_count = bounds_.size() + 1;
  std::vector<std::atomic<std::uint64_t>*> buckets(bucket_count);
  std::atomic<std::uint64_t>* sum = nullptr;
  if (identity().type == MetricType::histogram) {
    sum = external.word(identity(), "_sum", values, nullptr);
    for (std::size_t i = 0; i < bucket_count; ++i) {
      const double bound =
          i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity();
      buckets[i] = external.word(identity(), "_bucket", values, &bound);
    }
  } else {
    buckets[0] = external.word(identity(), "_count", values, nullptr);
    sum = external.word(identity(), "_sum", values, nullptr);
  }
  const std::size_t bytes =
      sizeof(MultiprocessHistogramWords) + (bucket_count - 1) * sizeof(std::atomic<std::uint64_t>*);
  auto allocation = allocate_child<HistogramCell>(bytes, identity(), values);
  // The storage is `bytes` long, 64-byte aligned (allocate_child).
  auto* words = new (allocation.cell_storage)  // NOLINT(clang-analyzer-cplusplus.PlacementNew)
      MultiprocessHistogramWords{sum, {buckets[0]}};
  for (std::size_t i = 1; i < bucket_count; ++i) words->buckets[i] = buckets[i];
  auto* child =
      new (allocation.memory) Child<HistogramCell>(bounds_.data(), bounds_.size(), nullptr);
  child->cell.bind_multiprocess(words);
  finish_child<HistogramCell>(child, allocation.label_storage, values, label_count());
  return child;
}

void HistogramFamily::destroy_child(ChildHeader* child) noexcept {
  destroy_child_of<HistogramCell>(child, true);
}

// ---- after fork() ---------------------------------------------------------------------------

namespace {
template <class Cell, class Visit>
void for_each_child_cell(const FamilyBase& family, Visit&& visit) {
  for (ChildHeader* child = family.first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_relaxed)) {
    visit(static_cast<Child<Cell>*>(child)->cell);
  }
}
}  // namespace

void CounterFamily::after_fork_in_child() noexcept {
  for_each_child_cell<CounterStorage>(*this,
                                      [](CounterStorage& cell) { cell.after_fork_in_child(); });
}

void GaugeFamily::after_fork_in_child() noexcept {
  for_each_child_cell<GaugeCell>(*this, [](GaugeCell& cell) { cell.after_fork_in_child(); });
}

// A scrape zeroes a copy before it flips (histogram_shard.hpp), so it must not be copied half
// done into a child: the fork waits for it (scrapes never wait for writers, so this is short).
void HistogramFamily::before_fork() noexcept {
  while (reading_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
}

void HistogramFamily::after_fork_in_parent() noexcept { reading_.clear(std::memory_order_release); }

void HistogramFamily::after_fork_in_child() noexcept {
  reading_.clear(std::memory_order_relaxed);
  for_each_child_cell<HistogramCell>(*this,
                                     [](HistogramCell& cell) { cell.after_fork_in_child(); });
}

}  // namespace bentoml::metrics::detail
