// The family behind Counter and Gauge; see bentoml/metrics/detail/value_family.hpp.
#include "bentoml/metrics/detail/value_family.hpp"

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/gauge_family.hpp"
#include "storage/child_memory.hpp"
#include "storage/external_values.hpp"

namespace bentoml::metrics::detail {

template <class Cell>
ChildHeader* ValueFamily<Cell>::make_child(const std::string_view* values) {
  ExternalValues* external = external_values();
  // In multiprocess mode a counter's value is its `_total` entry, a gauge's its plain one.
  std::atomic<std::uint64_t>* word = nullptr;
  if (external != nullptr) {
    const SampleWord sample{identity().type == MetricType::counter ? "_total" : "", nullptr};
    external->words(identity(), values, &sample, 1, &word);
  }
  Child<Cell>* child = new_child<Cell>(identity(), values);
  if (word != nullptr) child->cell.bind_shared_word(word);
  return child;
}

template <class Cell>
void ValueFamily<Cell>::destroy_child(ChildHeader* child) noexcept {
  delete_child<Cell>(child);
}

template <class Cell>
void ValueFamily<Cell>::after_fork_in_child() noexcept {
  for_each_child_cell<Cell>(*this, [](Cell& cell) { cell.after_fork_in_child(); });
}

template class ValueFamily<CounterStorage>;
template class ValueFamily<GaugeCell>;

}  // namespace bentoml::metrics::detail
