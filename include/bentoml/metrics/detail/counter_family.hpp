// Internal: the storage and the family behind Counter. Not part of the API.
#pragma once

#include <initializer_list>
#include <string_view>

#include "bentoml/metrics/detail/counter_cell.hpp"
#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/detail/value_family.hpp"

namespace bentoml::metrics::detail {

/// A counter series: its value and its latest exemplar (allocated on first use).
class CounterStorage {
 public:
  CounterStorage() = default;
  CounterStorage(const CounterStorage&) = delete;
  CounterStorage& operator=(const CounterStorage&) = delete;
  ~CounterStorage();

  CounterCell value;

  void store_exemplar(std::initializer_list<LabelPair> labels, double amount,
                      double timestamp) noexcept;
  bool exemplar(ExemplarReading& out) const noexcept {
    const ExemplarSlot* slot = exemplar_.load(std::memory_order_acquire);
    return slot != nullptr && slot->load(out);
  }
  /// Multiprocess mode: the value lives at `word` (a mapped file's). Before publication.
  void bind_shared_word(std::atomic<std::uint64_t>* word) noexcept { value.bind_shared_word(word); }
  void after_fork_in_child() noexcept {
    if (ExemplarSlot* slot = exemplar_.load(std::memory_order_acquire)) slot->after_fork_in_child();
  }

 private:
  std::atomic<ExemplarSlot*> exemplar_{nullptr};
};

using CounterFamily = ValueFamily<CounterStorage>;
template <>
void CounterFamily::write(ExpositionWriter& writer) const;
extern template class ValueFamily<CounterStorage>;

}  // namespace bentoml::metrics::detail
