// Internal: which bucket of a histogram an observation falls in. Not part of the API.
//
// A family makes one BucketSearch from its bounds; its children point at it. Two ways:
// - Guided, when the bounds allow it (BentoML's exponential buckets, the client defaults and
//   most hand-written lists do): the top bits of the value's IEEE 754 representation, its
//   exponent and the first few bits of its mantissa, name a cell of value space, and a table
//   holds how many bounds lie below each cell. The bits of non-negative doubles order like the
//   values, so a cell is a range of values; the number of mantissa bits is the smallest that
//   puts every bound in a cell of its own, so one compare with the cell's bound finishes. Two
//   dependent loads and a compare, where a binary search chains five compare steps.
// - Searched, otherwise (negative bounds, bounds too close together for a small table): a binary
//   search of a fixed number of steps, each a compare and a conditional move, over the bounds
//   padded with +Inf to 2^k - 1 entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/double_bits.hpp"

namespace bentoml::metrics::detail {

/// Families with at most this many finite bounds (BentoML's 24 and client defaults' 14 among
/// them) search a fixed five steps over an array of this many entries when not guided.
inline constexpr std::size_t kFixedSearchBounds = 31;

/// Steps of the binary search over `finite_bounds` bounds: five up to kFixedSearchBounds, else
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

class BucketSearch {
 public:
  /// Guide tables stay at most this many cells (two bytes each).
  static constexpr std::uint64_t kMaxGuideCells = 4096;
  /// Mantissa bits a guide key may take (cells per power of two: 2^bits).
  static constexpr unsigned kMaxGuideMantissaBits = 12;

  /// `finite_bounds`: ascending, finite, without the final +Inf.
  explicit BucketSearch(const std::vector<double>& finite_bounds);
  BucketSearch(const BucketSearch&) = delete;
  BucketSearch& operator=(const BucketSearch&) = delete;

  [[nodiscard]] std::size_t finite_bounds() const noexcept { return finite_; }
  [[nodiscard]] bool guided() const noexcept { return guide_table_ != nullptr; }
  /// Cells of the guide table (0: not guided); for tests and docs.
  [[nodiscard]] std::size_t guide_cells() const noexcept { return guide_.size(); }

  /// The index of the first finite bound >= `value` (finite_bounds() if none): the bucket of a
  /// value that is not NaN. For NaN, some index up to finite_bounds(); callers place NaN.
  [[nodiscard]] std::size_t find(double value) const noexcept {
    if (BENTOML_METRICS_LIKELY(guided())) return find_guided(value);
    return find_searched(value);
  }

  /// find() when guided().
  [[nodiscard]] std::size_t find_guided(double value) const noexcept {
    // Values below cell 0 (negative ones among them) are raised to its lowest value, those past
    // the last cell lowered into it: each holds its one bound, whose compare with the value
    // decides. (`x > y ? x : y` is one maxsd; NaN keeps the floor and lands anywhere.)
    const double raised = value > guide_floor_ ? value : guide_floor_;
    const std::uint64_t key = (double_to_bits(raised) >> guide_shift_) - guide_first_;
    const std::uint64_t cell = key < guide_last_ ? key : guide_last_;
    const double* at = padded_.data() + guide_table_[cell];
    search_step(at, 1, value);
    return static_cast<std::size_t>(at - padded_.data());
  }

  /// find() by the binary search (any bounds; out of line above kFixedSearchBounds).
  [[nodiscard]] std::size_t find_searched(double value) const noexcept {
    if (BENTOML_METRICS_LIKELY(finite_ <= kFixedSearchBounds)) return find_fixed(value);
    return find_in_many(value);
  }

 private:
  std::size_t find_fixed(double value) const noexcept {
    const double* base = padded_.data();
    search_step(base, 16, value);
    search_step(base, 8, value);
    search_step(base, 4, value);
    search_step(base, 2, value);
    search_step(base, 1, value);
    return static_cast<std::size_t>(base - padded_.data());
  }
  std::size_t find_in_many(double value) const noexcept;
  void build_guide();

  std::vector<double> padded_;        ///< the bounds, then +Inf up to search_array_size() entries
  std::vector<std::uint16_t> guide_;  ///< per cell: how many bounds lie below it (empty: none)
  const std::uint16_t* guide_table_ = nullptr;  ///< guide_.data(); null: not guided
  std::size_t finite_;
  double guide_floor_ = 0;         ///< the lowest value of cell 0
  std::uint64_t guide_first_ = 0;  ///< the key of cell 0 (that of the first bound)
  std::uint64_t guide_last_ = 0;   ///< the last cell's index
  unsigned guide_shift_ = 0;       ///< a key is a value's bits shifted right this far
};

}  // namespace bentoml::metrics::detail
