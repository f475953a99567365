// Internal: the family of a metric whose series hold one value: Counter (CounterStorage) and
// Gauge (GaugeCell). Not part of the API.
//
// The two differ only in their cell and in what a scrape writes (write(), specialized for each
// in src/exposition/family_write.cpp); children, multiprocess words and fork handling are this
// one template, instantiated for the two cells in src/storage/value_family.cpp.
#pragma once

#include <string_view>
#include <utility>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

template <class Cell>
class ValueFamily final : public FamilyBase {
 public:
  explicit ValueFamily(FamilyIdentity identity) : FamilyBase(std::move(identity)) {}
  ~ValueFamily() override { destroy_children(); }

  static Cell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<Cell>*>(child)->cell;
  }
  void write(ExpositionWriter& writer) const override;
  void after_fork_in_child() noexcept override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;
};

}  // namespace bentoml::metrics::detail
