// Internal: what every series (child) of a metric has besides its cell. Not part of the API.
//
// A child is created once, under its family's creation mutex, and never freed or moved while the
// family lives: handles returned by `labels()` point straight at it, and `remove()` only marks it
// inactive. Its label values and its pre-rendered label text live in one immutable block.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "bentoml/metrics/detail/label_hash.hpp"

namespace bentoml::metrics::detail {

/// Immutable label block: [u32 count][u32 end of value i]...[u32 text size][u32 le offset]
/// [values][rendered text]. The rendered text is `name="escaped value",...` sorted by name, as
/// prometheus_client writes labels, without braces; `le offset` is where a histogram's `le`
/// label goes in that order.
class LabelBlock {
 public:
  explicit LabelBlock(const char* data) noexcept : data_(data) {}

  [[nodiscard]] std::uint32_t count() const noexcept { return word(0); }
  [[nodiscard]] std::string_view value(std::uint32_t index) const noexcept {
    const std::uint32_t begin = index == 0 ? 0 : word(1 + index - 1);
    return {values() + begin, word(1 + index) - begin};
  }
  [[nodiscard]] std::string_view text() const noexcept {
    const std::uint32_t values_size = count() == 0 ? 0 : word(count());
    return {values() + values_size, word(1 + count())};
  }
  /// Bytes of text() whose label names sort before "le".
  [[nodiscard]] std::uint32_t le_offset() const noexcept { return word(2 + count()); }
  /// Whether the stored values equal `candidate` (same count assumed).
  template <class Value>
  [[nodiscard]] bool equals(const Value* candidate) const noexcept {
    std::uint32_t begin = 0;
    for (std::uint32_t i = 0; i < count(); ++i) {
      const std::uint32_t end = word(1 + i);
      const std::string_view value = label_view(candidate[i]);
      if (value.size() != end - begin || !same_bytes(value.data(), values() + begin, end - begin)) {
        return false;
      }
      begin = end;
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
    return data_ + (3 + count()) * sizeof(std::uint32_t);
  }

  const char* data_;
};

struct ChildHeader {
  std::uint64_t hash = 0;
  const char* labels = nullptr;  ///< a LabelBlock, owned by the child's allocation
  double created = 0;            ///< seconds since the epoch (reset when revived after remove)
  std::atomic<ChildHeader*> next_in_order{nullptr};  ///< creation order, for exposition
  std::atomic<bool> active{true};  ///< false after remove()/clear(): left out of exposition

  [[nodiscard]] LabelBlock label_block() const noexcept { return LabelBlock(labels); }
};

}  // namespace bentoml::metrics::detail
