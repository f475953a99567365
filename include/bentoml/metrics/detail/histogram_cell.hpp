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

/// Steps of the bucket search over `finite_bounds` bounds: the bit width of the count (at least
/// one step, so that no count needs a test), and the search array (search_array_size) is
/// 2^steps - 1 entries.
constexpr unsigned search_steps(std::size_t finite_bounds) noexcept {
  finite_bounds |= 1;
#if defined(__GNUC__)
  return 64u - static_cast<unsigned>(__builtin_clzll(finite_bounds));
#else
  unsigned steps = 0;
  while (finite_bounds >> steps != 0) ++steps;
  return steps;
#endif
}

/// Entries of the search array for `finite_bounds` bounds: the bounds, then +Inf up to
/// 2^search_steps - 1 entries.
constexpr std::size_t search_array_size(std::size_t finite_bounds) noexcept {
  return (std::size_t{1} << search_steps(finite_bounds)) - 1;
}

/// Index of the bucket for `value`: how many finite bounds are below it, i.e. the first bound
/// >= value (NaN: see bucket_for). `padded` is the search array (search_array_size entries). A
/// binary search of a fixed number of steps, each a compare and a conditional move (no branch
/// to mispredict on random observations), entered at its first step by one jump: on the 24
/// BentoML bounds about 20 instructions, against 43 for a loop halving the length.
inline std::size_t find_bucket(const double* padded, std::size_t finite_bounds,
                               double value) noexcept {
  // The select as arithmetic: written as a conditional, GCC unrolled makes it a branch, which
  // random observations mispredict half the time.
  const double* base = padded;
  const auto step = [&](std::size_t width) {
    base += width & (std::size_t{0} - static_cast<std::size_t>(base[width - 1] < value));
  };
  const unsigned steps = search_steps(finite_bounds);
  // One step a line reads as the unrolled search it is.
  // clang-format off
  switch (steps) {
    default:  // over 12 steps (4,096 bounds and more): the first ones in a loop
      for (std::size_t width = std::size_t{1} << (steps - 1); width > (1u << 11); width >>= 1) {
        step(width);
      }
      [[fallthrough]];
    case 12: step(1u << 11); [[fallthrough]];
    case 11: step(1u << 10); [[fallthrough]];
    case 10: step(1u << 9); [[fallthrough]];
    case 9: step(1u << 8); [[fallthrough]];
    case 8: step(1u << 7); [[fallthrough]];
    case 7: step(1u << 6); [[fallthrough]];
    case 6: step(1u << 5); [[fallthrough]];
    case 5: step(1u << 4); [[fallthrough]];
    case 4: step(1u << 3); [[fallthrough]];
    case 3: step(1u << 2); [[fallthrough]];
    case 2: step(1u << 1); [[fallthrough]];
    case 1: step(1u);
  }
  // clang-format on
  return static_cast<std::size_t>(base - padded);
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

  void observe(double value) noexcept { observe_in_bucket(bucket_for(value), value); }

  void observe_in_bucket(std::size_t bucket, double value) noexcept {
    // The owner's path, all inline; everything else is one call away (a tail call: the fast
    // path saves no registers).
    const int slot_plus_one = tls_slot_plus_one;
    if (BENTOML_METRICS_LIKELY(slot_plus_one > 0 &&
                               owner_slot_.load(std::memory_order_relaxed) == slot_plus_one - 1)) {
      HistogramShard(primary_, bucket_count()).observe_single_writer(bucket, value);
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
  /// Every observation but the owner's: the first one (which may make this thread the owner),
  /// multiprocess mode, and the other threads' shards.
  BENTOML_METRICS_NOINLINE void observe_not_owner(std::size_t bucket, double value) noexcept;
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
