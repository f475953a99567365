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

/// Histograms with at most this many finite bounds (BentoML's 24 and client defaults' 14
/// among them) search a fixed five steps over an array of this many entries: no dispatch on
/// the number of steps.
inline constexpr std::size_t kFixedSearchBounds = 31;

/// Steps of the bucket search over `finite_bounds` bounds: five up to kFixedSearchBounds, else
/// the bit width of the count; the search array (search_array_size) is 2^steps - 1 entries.
constexpr unsigned search_steps(std::size_t finite_bounds) noexcept {
  if (finite_bounds <= kFixedSearchBounds) return 5;
  unsigned steps = 0;
  while (finite_bounds >> steps != 0) ++steps;
  return steps;
}

/// Entries of the search array for `finite_bounds` bounds: the bounds, then +Inf up to
/// 2^search_steps - 1 entries.
constexpr std::size_t search_array_size(std::size_t finite_bounds) noexcept {
  return (std::size_t{1} << search_steps(finite_bounds)) - 1;
}

/// One step of the bucket search: `base` moves `width` entries right if `value` is above the
/// last entry it would skip. A conditional move, not a branch, which random observations would
/// mispredict half the time (GCC makes a branch of the conditional whatever it is told).
inline void search_step(const double*& base, std::size_t width, double value) noexcept {
  const double* right = base + width;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // comisd sets "above" only for an ordered value > bound: NaN stays left, as below.
  __asm__("comisd %[bound], %[value]\n\tcmova %[right], %[base]"
          : [base] "+r"(base)
          : [right] "r"(right), [bound] "m"(base[width - 1]), [value] "x"(value)
          : "cc");
#else
  base = base[width - 1] < value ? right : base;
#endif
}

/// find_bucket over more than kFixedSearchBounds bounds (out of line: rare).
std::size_t find_bucket_in_many(const double* padded, std::size_t finite_bounds,
                                double value) noexcept;

/// find_bucket over at most kFixedSearchBounds bounds: five steps of three instructions.
inline std::size_t find_bucket_fixed(const double* padded, double value) noexcept {
  const double* base = padded;
  search_step(base, 16, value);
  search_step(base, 8, value);
  search_step(base, 4, value);
  search_step(base, 2, value);
  search_step(base, 1, value);
  return static_cast<std::size_t>(base - padded);
}

/// Index of the bucket for `value`: how many finite bounds are below it, i.e. the first bound
/// >= value (NaN: see bucket_for). `padded` is the search array (search_array_size entries). A
/// binary search of a fixed number of steps, each a compare and a conditional move.
inline std::size_t find_bucket(const double* padded, std::size_t finite_bounds,
                               double value) noexcept {
  if (BENTOML_METRICS_LIKELY(finite_bounds <= kFixedSearchBounds)) {
    return find_bucket_fixed(padded, value);
  }
  return find_bucket_in_many(padded, finite_bounds, value);
}

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

  /// `bounds` (the search array of the finite upper bounds: ascending, then +Inf up to
  /// search_array_size(finite_bounds) entries) must outlive the cell; `primary` is
  /// HistogramShard::words(finite_bounds + 1) zeroed words, 64-byte aligned.
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

  void observe(double value) noexcept {
    if (BENTOML_METRICS_LIKELY(finite_bounds_ <= kFixedSearchBounds)) {
      const std::size_t index = find_bucket_fixed(bounds_, value);
      observe_in_bucket(value == value ? index : finite_bounds_, value);
      return;
    }
    observe_many_bounds(value);  // a tail call: the common path saves no registers
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
  /// observe() with more than kFixedSearchBounds bounds.
  BENTOML_METRICS_NOINLINE void observe_many_bounds(double value) noexcept;
  void observe_elsewhere(int slot, std::size_t bucket, double value) noexcept;
  /// Calls `visit(const HistogramShard&)` for the primary shard and every slot's, and
  /// `visit_shared(const SharedHistogramShard&)` for the shared one.
  template <class Visit, class VisitShared>
  void for_each_shard(Visit&& visit, VisitShared&& visit_shared) const noexcept;
  ExemplarSlot* install_exemplars() noexcept;

  const double* bounds_;
  std::uint32_t finite_bounds_;
  std::atomic<int> owner_{kNoOwner};
  std::atomic<std::uint64_t>* primary_;
  std::atomic<ExtraShards*> extra_{nullptr};
  std::atomic<ExemplarSlot*> exemplars_{nullptr};
  const MultiprocessHistogramWords* multiprocess_ = nullptr;  ///< null: process memory
};

}  // namespace bentoml::metrics::detail
