// Internal: the storage of one histogram (or summary) series. Not part of the API.
//
// The first thread with a slot that observes into a series becomes its owner and records into
// the inline primary shard with single-writer stores (see histogram_shard.hpp). Other threads
// record into their own slot's shard, allocated once on the first such observation; threads with
// no slot share one shard with atomic read-modify-writes. The fields other writers read
// (`owner_slot_`, `extra_`) sit on a cache line of their own, apart from the primary shard the
// owner writes, so a second writer does not pull the owner's line away on every observation.
// A reading sums every shard, each read consistently, hence the sum is consistent too.
// In multiprocess mode the series is its entries in a mapped file (one double per bucket and
// `_sum`, prometheus_client's format) and `owner_slot_` holds kMultiprocessOwner, which no slot
// equals and which is not negative: the owner's single-writer path is not taken, and the test
// that follows it sends the observation to observe_multiprocess(), which adds 1 to the bucket's
// double and then the value to `_sum`'s. The single-writer path is unchanged; the path of a
// second writer has one more compare.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/histogram_shard.hpp"
#include "bentoml/metrics/detail/thread_slot.hpp"

namespace bentoml::metrics::detail {

/// The shards of a histogram series beyond the primary one, allocated on demand.
struct ExtraShards {
  std::atomic<std::atomic<std::uint64_t>*> shared{nullptr};  ///< for threads without a slot
  std::atomic<std::atomic<std::uint64_t>*> by_slot[1];       ///< really thread_slot_count() entries
};

/// Index of the bucket for `value`: the first bound >= value (NaN: see bucket_for).
inline std::size_t find_bucket(const double* bounds, std::size_t finite_bounds,
                               double value) noexcept {
  if (finite_bounds <= 8) {  // a short scan beats any search
    std::size_t index = 0;
    while (index < finite_bounds && !(value <= bounds[index])) ++index;
    return index;
  }
  // Branch-free binary search (Khuong and Morin's layout study): the compiler turns the
  // conditional into a cmov, so random observations cost no mispredicted branches. Measured on
  // the 24 BentoML bounds: about 20 instructions against 66 for the linear scan.
  const double* base = bounds;
  std::size_t length = finite_bounds;
  while (length > 1) {
    const std::size_t half = length / 2;
    base = base[half] < value ? base + half : base;
    length -= half;
  }
  return static_cast<std::size_t>(base - bounds) + (*base < value ? 1 : 0);
}

/// A histogram (or summary) series in multiprocess mode: the words of its entries in the
/// process's file, allocated with the child.
struct MultiprocessHistogramWords {
  std::atomic<std::uint64_t>* sum;
  std::atomic<std::uint64_t>* buckets[1];  ///< really bucket_count(); a summary's is `_count`
};

class HistogramCell {
 public:
  /// `owner_slot_` of a multiprocess series: never a slot, never "no owner yet".
  static constexpr int kMultiprocessOwner = 1 << 30;

  /// `bounds` (finite upper bounds, ascending, +Inf implied after them) must outlive the cell;
  /// `primary` is HistogramShard::words(finite_bounds + 1) zeroed words, 64-byte aligned.
  HistogramCell(const double* bounds, std::size_t finite_bounds,
                std::atomic<std::uint64_t>* primary) noexcept
      : bounds_(bounds),
        finite_bounds_(static_cast<std::uint32_t>(finite_bounds)),
        primary_(primary) {}
  HistogramCell(const HistogramCell&) = delete;
  HistogramCell& operator=(const HistogramCell&) = delete;
  ~HistogramCell();

  [[nodiscard]] std::size_t bucket_count() const noexcept { return finite_bounds_ + 1; }
  [[nodiscard]] std::size_t bucket_for(double value) const noexcept {
    const std::size_t index = find_bucket(bounds_, finite_bounds_, value);
    return value == value ? index : finite_bounds_;  // NaN counts in +Inf, keeping _count whole
  }

  void observe(double value) noexcept { observe_in_bucket(bucket_for(value), value); }

  void observe_in_bucket(std::size_t bucket, double value) noexcept {
    const int slot = this_thread_slot();
    int owner = owner_slot_.load(std::memory_order_relaxed);
    if (BENTOML_METRICS_LIKELY(owner == slot && slot >= 0)) {
      HistogramShard(primary_, bucket_count()).observe_single_writer(bucket, value);
      return;
    }
    if (owner == kMultiprocessOwner) {  // never the owner's path: that one is unchanged
      observe_multiprocess(bucket, value);
      return;
    }
    if (owner < 0 && slot >= 0 &&
        owner_slot_.compare_exchange_strong(owner, slot, std::memory_order_relaxed)) {
      HistogramShard(primary_, bucket_count()).observe_single_writer(bucket, value);
      return;
    }
    observe_elsewhere(slot, bucket, value);
  }

  /// Multiprocess mode: one more in the bucket's double, then the value added to `_sum`'s, each
  /// a CAS loop on the mapped word. The bucket goes first: the file holds `_sum` before the
  /// buckets and readers copy it in order, so a reading's `_sum` has no observation its
  /// buckets lack (docs/design.md).
  void observe_multiprocess(std::size_t bucket, double value) const noexcept {
    atomic_add_double(*multiprocess_->buckets[bucket], 1.0);
    atomic_add_double(*multiprocess_->sum, value);
  }

  /// Multiprocess mode: from now on the series lives in `words` (which outlive the cell).
  /// `primary` may be null then. Call before the child is published.
  void bind_multiprocess(const MultiprocessHistogramWords* words) noexcept {
    multiprocess_ = words;
    owner_slot_.store(kMultiprocessOwner, std::memory_order_relaxed);
  }
  [[nodiscard]] bool multiprocess() const noexcept { return multiprocess_ != nullptr; }

  /// Keeps `labels` as the latest exemplar of `bucket` (validated by the caller).
  void store_exemplar(std::size_t bucket, std::initializer_list<LabelPair> labels, double value,
                      double timestamp) noexcept {
    ExemplarSlot* slots = exemplars_.load(std::memory_order_acquire);
    if (slots == nullptr) slots = install_exemplars();
    if (slots != nullptr) slots[bucket].store(labels, value, timestamp);
  }

  /// The latest exemplar of `bucket`, if any.
  bool exemplar(std::size_t bucket, ExemplarReading& out) const noexcept {
    const ExemplarSlot* slots = exemplars_.load(std::memory_order_acquire);
    return slots != nullptr && slots[bucket].load(out);
  }

  /// Adds a consistent reading to `reading` (whose `buckets` and `scratch` have bucket_count()
  /// entries) without waiting for writers that are not running. Readers of one cell must be
  /// serialized by the caller.
  void read_into(HistogramReading& reading) const noexcept;

  /// In a child process after fork(), before any other thread exists: completes or drops what
  /// the parent's other threads left in flight (see HistogramShard::after_fork_in_child).
  void after_fork_in_child() noexcept;

 private:
  void observe_elsewhere(int slot, std::size_t bucket, double value) noexcept;
  /// Calls `visit(const HistogramShard&)` for the primary shard and every extra one.
  template <class Visit>
  void for_each_shard(Visit&& visit) const noexcept;
  ExemplarSlot* install_exemplars() noexcept;

  const double* bounds_;
  std::uint32_t finite_bounds_;
  std::atomic<int> owner_slot_{-1};
  std::atomic<std::uint64_t>* primary_;
  std::atomic<ExtraShards*> extra_{nullptr};
  std::atomic<ExemplarSlot*> exemplars_{nullptr};
  const MultiprocessHistogramWords* multiprocess_ = nullptr;  ///< null: process memory
};

}  // namespace bentoml::metrics::detail
