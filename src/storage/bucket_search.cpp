// Building a family's bucket search; see bentoml/metrics/detail/bucket_search.hpp.
#include "bentoml/metrics/detail/bucket_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bentoml::metrics::detail {

BucketSearch::BucketSearch(const std::vector<double>& finite_bounds)
    : padded_(search_array_size(finite_bounds.size()), std::numeric_limits<double>::infinity()),
      finite_(finite_bounds.size()) {
  std::copy(finite_bounds.begin(), finite_bounds.end(), padded_.begin());
  build_guide();
}

std::size_t BucketSearch::find_in_many(double value) const noexcept {
  const double* base = padded_.data();
  for (std::size_t width = std::size_t{1} << (search_steps(finite_) - 1); width != 0; width >>= 1) {
    search_step(base, width, value);
  }
  return static_cast<std::size_t>(base - padded_.data());
}

// Why one compare is enough: a cell holds the values whose keys (bits >> shift) are equal, a
// range since the bits of non-negative doubles order like the values. With every bound's key
// distinct, a cell holds at most one bound, and guide_[cell] = the number of bounds in earlier
// cells = the number of bounds below every value of the cell. The bound at that index is the
// cell's own (then the value's bucket is that index or the next: one compare) or lies in a later
// cell, above every value of this one (the compare keeps the index). A value below cell 0 is
// looked up as cell 0's lowest value, which is not above the first bound: the compare keeps index
// 0, right for the value too. A value past the last cell is looked up in the last cell, whose
// bound (the last) is below the value: the compare gives the +Inf bucket.
void BucketSearch::build_guide() {
  if (finite_ == 0 || finite_ > std::size_t{std::numeric_limits<std::uint16_t>::max()} + 1 ||
      std::signbit(padded_[0])) {
    return;  // no bound, indexes past the table's type, or negative bounds: searched
  }
  const auto key = [](double bound, unsigned shift) { return double_to_bits(bound) >> shift; };
  for (unsigned mantissa_bits = 0; mantissa_bits <= kMaxGuideMantissaBits; ++mantissa_bits) {
    const unsigned shift = 52 - mantissa_bits;
    bool distinct = true;
    for (std::size_t i = 1; i < finite_ && distinct; ++i) {
      distinct = key(padded_[i - 1], shift) != key(padded_[i], shift);
    }
    if (!distinct) continue;
    const std::uint64_t first = key(padded_[0], shift);
    const std::uint64_t cells = key(padded_[finite_ - 1], shift) - first + 1;
    if (cells > kMaxGuideCells) return;  // more bits only make more cells
    guide_.assign(cells, 0);
    std::size_t below = 0;
    for (std::uint64_t cell = 0; cell < cells; ++cell) {
      while (below < finite_ && key(padded_[below], shift) < first + cell) ++below;
      guide_[cell] = static_cast<std::uint16_t>(below);
    }
    guide_table_ = guide_.data();
    guide_floor_ = bits_to_double(first << shift);
    guide_first_ = first;
    guide_last_ = cells - 1;
    guide_shift_ = shift;
    return;
  }
}

}  // namespace bentoml::metrics::detail
