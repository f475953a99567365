// Internal: what every series (child) of a metric has besides its cell. Not part of the API.
//
// A child is created once, under its family's creation mutex, and never freed or moved while the
// family lives: handles returned by `labels()` point straight at it, and `remove()` only marks it
// inactive; labels() of the same values later revives it with its values and `_created` as they
// were (the series continues). Its raw label values live in one immutable block.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "bentoml/metrics/detail/label_hash.hpp"

namespace bentoml::metrics::detail {

/// Immutable label block: [u32 count | kEscapes][u32 end of value i]...[values], the raw values
/// in label-name order. Only the values are kept (the exposition renders them in
/// prometheus_client's sorted order at scrape time): a counter child stays small. The top bit of
/// the first word tells whether any value has a byte the exposition escapes, so that a scrape
/// need not look.
class LabelBlock {
 public:
  static constexpr std::uint32_t kEscapes = std::uint32_t{1} << 31;

  explicit LabelBlock(const char* data) noexcept : data_(data) {}

  [[nodiscard]] std::uint32_t count() const noexcept { return word(0) & ~kEscapes; }
  /// Whether some value has a backslash, a double quote or a newline.
  [[nodiscard]] bool has_escapes() const noexcept { return (word(0) & kEscapes) != 0; }
  [[nodiscard]] std::string_view value(std::uint32_t index) const noexcept {
    const std::uint32_t begin = index == 0 ? 0 : word(1 + index - 1);
    return {values() + begin, word(1 + index) - begin};
  }
  /// Whether the stored values equal `candidate` (same count assumed). With kShortOnly, a value
  /// longer than kShortValue bytes counts as different: no call to memcmp, so an inline caller
  /// saves no registers for one.
  template <bool kShortOnly = false, class Value>
  [[nodiscard]] bool equals(const Value* candidate) const noexcept {
    const std::uint32_t values_count = count();
    const char* end_offset = data_ + sizeof(std::uint32_t);  // of each value, after the count
    const char* const bytes = end_offset + values_count * sizeof(std::uint32_t);
    const char* stored = bytes;
    for (const Value* given = candidate; given != candidate + values_count; ++given) {
      std::uint32_t end;
      std::memcpy(&end, end_offset, sizeof end);
      end_offset += sizeof end;
      const std::size_t size = static_cast<std::size_t>(bytes + end - stored);
      const std::string_view value = label_view(*given);
      if (value.size() != size) return false;
      if (kShortOnly ? size > kShortValue || !same_short_bytes(value.data(), stored, size)
                     : !same_bytes(value.data(), stored, size)) {
        return false;
      }
      stored += size;
    }
    return true;
  }

 private:
  [[nodiscard]] std::uint32_t word(std::uint32_t index) const noexcept {
    std::uint32_t value;
    std::memcpy(&value, data_ + index * sizeof(std::uint32_t), sizeof value);
    return value;
  }
  [[nodiscard]] const char* values() const noexcept {
    return data_ + (1 + count()) * sizeof(std::uint32_t);
  }

  const char* data_;
};

struct ChildHeader {
  std::uint64_t hash = 0;
  const char* labels = nullptr;  ///< a LabelBlock, owned by the child's allocation
  double created = 0;            ///< seconds since the epoch when first created; kept when revived
  std::atomic<ChildHeader*> next_in_order{nullptr};  ///< creation order, for exposition
  std::atomic<bool> active{true};  ///< false after remove()/clear(): left out of exposition

  [[nodiscard]] LabelBlock label_block() const noexcept { return LabelBlock(labels); }
};

}  // namespace bentoml::metrics::detail
