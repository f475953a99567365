// Internal: the families behind Counter and Gauge. Not part of the API.
#pragma once

#include <initializer_list>
#include <string_view>

#include "bentoml/metrics/detail/counter_cell.hpp"
#include "bentoml/metrics/detail/gauge_cell.hpp"
#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/family.hpp"

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
  void after_fork_in_child() noexcept {
    if (ExemplarSlot* slot = exemplar_.load(std::memory_order_acquire)) slot->after_fork_in_child();
  }

 private:
  std::atomic<ExemplarSlot*> exemplar_{nullptr};
};

class CounterFamily final : public FamilyBase {
 public:
  explicit CounterFamily(FamilyIdentity identity) : FamilyBase(std::move(identity)) {}
  ~CounterFamily() override { destroy_children(); }
  static CounterStorage& storage(ChildHeader* child) noexcept {
    return static_cast<Child<CounterStorage>*>(child)->cell;
  }
  void write(ExpositionWriter& writer) const override;
  void after_fork_in_child() noexcept override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;
};

class GaugeFamily final : public FamilyBase {
 public:
  explicit GaugeFamily(FamilyIdentity identity) : FamilyBase(std::move(identity)) {}
  ~GaugeFamily() override { destroy_children(); }
  static GaugeCell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<GaugeCell>*>(child)->cell;
  }
  void write(ExpositionWriter& writer) const override;
  void after_fork_in_child() noexcept override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;
};

}  // namespace bentoml::metrics::detail
