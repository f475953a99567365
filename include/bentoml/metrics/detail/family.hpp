// Internal: what all metric families share: identity, label handling, children. Not part of the
// API; users hold Counter, Gauge, Histogram and Summary handles instead.
//
// Label lookup (`child(...)`) is inline and lock-free for an existing, active child; creating a
// child, reviving a removed one, `remove` and `clear` take the family's creation mutex (which
// lookups, recording and scrapes never take).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/child.hpp"
#include "bentoml/metrics/detail/child_index.hpp"
#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/label_hash.hpp"
#include "bentoml/metrics/labels.hpp"

namespace bentoml::metrics::detail {

class ExpositionWriter;

/// `info` and `stateset` are Info and Enum; `custom`: a registered Collector's families
/// (src/collector), computed at scrape time.
enum class MetricType { counter, gauge, histogram, summary, info, stateset, custom };

/// A child record: the shared header, then the type's storage cell.
template <class Cell>
struct Child : ChildHeader {
  template <class... Args>
  explicit Child(Args&&... args) : cell(static_cast<Args&&>(args)...) {}
  Cell cell;
};

/// Identity of a family, after Python's name munging (namespace_subsystem_name_unit).
struct FamilyIdentity {
  std::string name;
  std::string documentation;
  std::string unit;
  std::vector<std::string> labelnames;
  MetricType type;
  /// Label indexes in name order: the order prometheus_client writes labels in.
  std::vector<std::uint32_t> sorted_labels;
  /// How many label names sort before "le", where a histogram bucket's `le` goes (a summary's:
  /// before "quantile", where its quantile samples' label goes).
  std::uint32_t labels_before_le = 0;
};

/// Where a family's values live in multiprocess mode (src/storage/external_values.hpp).
class ExternalValues;

/// Label values arranged in label-name order, on the stack for up to 16 labels.
class OrderedValues {
 public:
  static constexpr std::size_t kInline = 16;
  OrderedValues(const OrderedValues&) = delete;
  OrderedValues& operator=(const OrderedValues&) = delete;
  explicit OrderedValues(std::size_t count)
      : data_(count <= kInline ? inline_ : (heap_.resize(count), heap_.data())) {
    for (std::size_t i = 0; i < count; ++i) new (&data_[i]) std::string_view();
  }
  std::string_view& operator[](std::size_t index) noexcept { return data_[index]; }
  [[nodiscard]] const std::string_view* data() const noexcept { return data_; }

 private:
  union {  // left uninitialized: the constructor sets the `count` entries it uses
    char unused_ = 0;
    std::string_view inline_[kInline];
  };
  std::vector<std::string_view> heap_;
  std::string_view* data_;
};

/// A thread's last positional lookup in a family: a direct-mapped cache of kLastLookups entries
/// per thread, keyed by the family's lookup id (ids are never reused, so an entry left by a
/// destroyed family is never taken for a live one's). Zero-initialized: no id is 0.
struct LastLookup {
  std::uint64_t family_id;
  ChildHeader* child;
};
inline constexpr std::uint64_t kLastLookups = 8;
inline thread_local LastLookup tls_last_lookups[kLastLookups];

class FamilyBase {
 public:
  explicit FamilyBase(FamilyIdentity identity);
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  virtual ~FamilyBase();

  [[nodiscard]] const FamilyIdentity& identity() const noexcept { return identity_; }
  [[nodiscard]] const std::string& name() const noexcept { return identity_.name; }
  [[nodiscard]] std::size_t label_count() const noexcept { return label_count_; }

  /// The child for values given by position; created on first use.
  ChildHeader* child(std::initializer_list<LabelValue> values) {
    if (ChildHeader* hit = last_lookup(values)) return hit;
    return look_up(values);  // a tail call: the path above saves no registers
  }

  /// The child this thread looked up last in this family, if these are its values (a call site
  /// nearly always passes the same ones): no hash, no probe, no call. Null otherwise. With
  /// kShortOnly (the inline path), also null when a value is longer than kShortValue bytes:
  /// look_up() compares those.
  template <bool kShortOnly = true>
  [[nodiscard]] ChildHeader* last_lookup(std::initializer_list<LabelValue> values) const noexcept {
    const LastLookup& last = tls_last_lookups[lookup_id_ % kLastLookups];
    if (BENTOML_METRICS_LIKELY(last.family_id == lookup_id_ && values.size() == label_count_)) {
      ChildHeader* const cached = last.child;
      if (BENTOML_METRICS_LIKELY(cached->label_block().equals<kShortOnly>(values.begin()) &&
                                 cached->active.load(std::memory_order_relaxed))) {
        return cached;
      }
    }
    return nullptr;
  }

  /// child(values) without the inline last lookup: the last lookup for long values, the index
  /// (lock-free), or get_or_create; the result becomes this thread's last lookup here.
  BENTOML_METRICS_NOINLINE ChildHeader* look_up(std::initializer_list<LabelValue> values);

  /// The child for values given by name, in any order; created on first use.
  ChildHeader* child(std::initializer_list<LabelPair> pairs) {
    OrderedValues ordered(label_count());
    order_by_name(pairs, ordered);
    return child(ordered.data());
  }

  /// The child for label_count() values in label-name order.
  ChildHeader* child(const std::string_view* values) {
    const std::uint64_t hash = hash_values(values, label_count());
    ChildHeader* found = index_.find(values, hash);
    if (BENTOML_METRICS_LIKELY(found != nullptr && found->active.load(std::memory_order_relaxed))) {
      return found;
    }
    return get_or_create(values, hash);
  }

  /// remove(values): takes the child out of the exposition; handles to it stay valid.
  void remove(std::initializer_list<LabelValue> values);
  void remove(std::initializer_list<LabelPair> pairs);
  /// Takes every child out of the exposition.
  void clear();

  /// Writes the family in the writer's format. Safe concurrently with everything else.
  virtual void write(ExpositionWriter& writer) const = 0;

  /// The first child in creation order (active or not).
  [[nodiscard]] ChildHeader* first_child() const noexcept { return index_.first(); }

  /// Multiprocess mode: the children created from now on keep their values in `values` (which
  /// outlives the family). Set before the family is registered.
  void set_external_values(ExternalValues* values) noexcept { external_ = values; }
  [[nodiscard]] ExternalValues* external_values() const noexcept { return external_; }

  /// The mutex of child creation, remove() and clear() (also held across fork()).
  std::mutex& creation_mutex() noexcept { return index_.creation_mutex(); }
  /// Just before fork() (the creation mutex is held): waits for what must not be copied half
  /// done, such as a scrape in progress. Then exactly one of the two below follows.
  virtual void before_fork() noexcept;
  virtual void after_fork_in_parent() noexcept;
  /// In a child process after fork(), before any other thread exists: completes or drops what
  /// the parent's other threads left half done in this family's children.
  virtual void after_fork_in_child() noexcept;

 protected:
  /// Builds a child for `values` (label-name order) with its label block; the caller sets its
  /// hash and `created`. Under the creation mutex.
  virtual ChildHeader* make_child(const std::string_view* values) = 0;
  virtual void destroy_child(ChildHeader* child) noexcept = 0;
  /// Call from the most-derived destructor: frees every child.
  void destroy_children() noexcept;

 private:
  ChildHeader* get_or_create(const std::string_view* values, std::uint64_t hash);
  BENTOML_METRICS_NOINLINE ChildHeader* get_or_create(std::initializer_list<LabelValue> values,
                                                      std::uint64_t hash);
  void order_by_name(std::initializer_list<LabelPair> pairs, OrderedValues& ordered) const;
  [[noreturn]] void throw_value_count(std::size_t given) const;
  void remove_values(const std::string_view* values);

  FamilyIdentity identity_;
  std::uint32_t label_count_;      ///< identity_.labelnames.size()
  const std::uint64_t lookup_id_;  ///< unique in the process, never 0 (tls_last_lookups)
  ChildIndex index_;
  ExternalValues* external_ = nullptr;  ///< null: values in process memory
};

/// Allocates `size` bytes aligned to a cache line (children, shards, stripes).
void* allocate_aligned(std::size_t size);
void free_aligned(void* pointer) noexcept;

}  // namespace bentoml::metrics::detail
