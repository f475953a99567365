// metrics::Enum: which of a fixed set of states something is in (Python's
// prometheus_client.Enum), exposed as one sample per state, `<name>{labels..., <name>="<state>"}`
// 1.0 for the current state and 0.0 for the others (a `stateset` in OpenMetrics, a gauge in text
// 0.0.4).
//
// Thread-safety: every member may be called from any number of threads. Cost: `state()` compares
// the given state with the states in order and stores an index (one relaxed atomic store); it
// never locks or allocates.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/info_enum_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// One Enum series; starts in the first state. Valid for the life of its metric.
class EnumChild {
 public:
  /// Moves to `state`; throws metrics::Error (changing nothing) if it is not one of the states.
  void state(std::string_view state) {
    cell_->state.store(family_->index_of(state), std::memory_order_relaxed);
  }
  /// The current state.
  [[nodiscard]] const std::string& value() const noexcept {
    return family_->states()[cell_->state.load(std::memory_order_relaxed)];
  }

 private:
  friend class detail::MetricBase<detail::EnumFamily, EnumChild>;
  EnumChild(detail::ChildHeader* child, const detail::EnumFamily* family) noexcept
      : cell_(&detail::EnumFamily::storage(child)), family_(family) {}
  detail::EnumCell* cell_;
  const detail::EnumFamily* family_;
};

class Enum : public detail::MetricBase<detail::EnumFamily, EnumChild> {
 public:
  struct Options {
    std::string name{};
    std::string documentation{};
    std::vector<std::string> labelnames{};  ///< may not contain the metric's own name
    std::string namespace_{};
    std::string subsystem{};
    std::vector<std::string> states{};  ///< at least one, none twice; the first is the initial one
    Registry* registry = nullptr;       ///< null: default_registry()
  };
  using Child = EnumChild;

  /// Registers the metric; throws metrics::Error on a bad or duplicate name or bad states.
  explicit Enum(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void state(std::string_view state) { unlabelled().state(state); }
  [[nodiscard]] const std::string& value() const { return unlabelled().value(); }
};

}  // namespace bentoml::metrics
