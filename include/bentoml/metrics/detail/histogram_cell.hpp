// Internal: the storage of one histogram (or summary) series. Not part of the API.
//
// The first thread with a slot that observes into a series becomes its owner and records into
// the inline primary shard with single-writer stores (see histogram_shard.hpp). Other threads
// record into their own slot's shard, allocated once on the first such observation; threads with
// no slot share one shard with atomic read-modify-writes. The fields other writers read
// (`owner_`, `extra_`) sit on a cache line of their own, apart from the primary shard the
// owner writes, so a second writer does not pull the owner's line away on every observation.
// A reading sums every shard, each read consistently, hence the sum is consistent too.
// In multiprocess mode the series is its entries in a mapped file (one double per bucket and
// `_sum`, prometheus_client's format) and `owner_` holds kMultiprocessOwner, which no slot
// equals and which is not negative: the owner's single-writer path is not taken, and the test
// that follows it sends the observation to observe_multiprocess(), which adds 1 to the bucket's
// double and then the value to `_sum`'s. The single-writer path is unchanged; the path of a
// second writer has one more compare.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "bentoml/metrics/detail/bucket_search.hpp"
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

/// A histogram (or summary) series in multiprocess mode: the words of its entries in the
/// process's file, allocated with the child.
struct MultiprocessHistogramWords {
  std::atomic<std::uint64_t>* sum;
  std::atomic<std::uint64_t>* buckets[1];  ///< really bucket_count(); a summary's is `_count`
};

class HistogramCell {
 public:
  /// `owner_` (the owner's slot + 1, as tls_slot_plus_one holds it) before any thread owns the
  /// series: no thread's tls_slot_plus_one (0 before a slot is claimed, -1 without one).
  static constexpr int kNoOwner = -2;
  /// `owner_` of a multiprocess series: no thread's either, and not kNoOwner.
  static constexpr int kMultiprocessOwner = 1 << 30;

  /// `search` (the family's) must outlive the cell; `primary` is
  /// HistogramShard::words(search.finite_bounds() + 1) zeroed words, 64-byte aligned.
  HistogramCell(const BucketSearch& search, std::atomic<std::uint64_t>* primary) noexcept
      : search_(&search),
        finite_bounds_(static_cast<std::uint32_t>(search.finite_bounds())),
        primary_(primary) {}
  HistogramCell(const HistogramCell&) = delete;
  HistogramCell& operator=(const HistogramCell&) = delete;
  ~HistogramCell();

  [[nodiscard]] std::size_t bucket_count() const noexcept { return finite_bounds_ + 1; }
  [[nodiscard]] std::size_t bucket_for(double value) const noexcept {
    const std::size_t index = search_->find(value);
    return value == value ? index : finite_bounds_;  // NaN counts in +Inf, keeping _count whole
  }

  void observe(double value) noexcept {
    if (BENTOML_METRICS_LIKELY(search_->guided())) {
      const std::size_t index = search_->find_guided(value);
      observe_in_bucket(value == value ? index : finite_bounds_, value);
      return;
    }
    observe_searched(value);  // a tail call: the common path saves no registers
  }

  void observe_in_bucket(std::size_t bucket, double value) noexcept {
    // The owner's path, all inline; everything else is one call away (a tail call: the fast
    // path saves no registers).
    // One compare: `owner_` never equals a thread-local value of a thread without a slot.
    if (BENTOML_METRICS_LIKELY(owner_.load(std::memory_order_relaxed) == tls_slot_plus_one)) {
      HistogramShard(primary_, bucket_count()).observe(bucket, value);
      return;
    }
    observe_not_owner(bucket, value);
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
    owner_.store(kMultiprocessOwner, std::memory_order_relaxed);
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
  /// Every observation but the owner's: the first one (which may make this thread the owner),
  /// multiprocess mode, and the other threads' shards.
  BENTOML_METRICS_NOINLINE void observe_not_owner(std::size_t bucket, double value) noexcept;
  /// observe() with bounds that have no guide table (BucketSearch::find_searched).
  BENTOML_METRICS_NOINLINE void observe_searched(double value) noexcept;
  void observe_elsewhere(int slot, std::size_t bucket, double value) noexcept;
  /// Calls `visit(const HistogramShard&)` for the primary shard and every slot's, and
  /// `visit_shared(const SharedHistogramShard&)` for the shared one.
  template <class Visit, class VisitShared>
  void for_each_shard(Visit&& visit, VisitShared&& visit_shared) const noexcept;
  ExemplarSlot* install_exemplars() noexcept;

  const BucketSearch* search_;
  std::uint32_t finite_bounds_;
  std::atomic<int> owner_{kNoOwner};
  std::atomic<std::uint64_t>* primary_;
  std::atomic<ExtraShards*> extra_{nullptr};
  std::atomic<ExemplarSlot*> exemplars_{nullptr};
  const MultiprocessHistogramWords* multiprocess_ = nullptr;  ///< null: process memory
};

}  // namespace bentoml::metrics::detail
