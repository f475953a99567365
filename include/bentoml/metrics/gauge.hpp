// metrics::Gauge: a value that goes up and down (Python's bentoml.metrics.Gauge).
//
// Thread-safety: every member may be called from any number of threads. Cost: `set` is one
// relaxed store; `inc`/`dec` a CAS loop on the value's bits; none lock or allocate once the child
// exists. `set_function` makes scrapes call a function instead (the function must be thread-safe
// if several scrapes can run at once); it allocates and is not meant for the hot path.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/detail/metric_setup.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"
#include "bentoml/metrics/timer.hpp"

namespace bentoml::metrics {

/// One gauge series. Valid for the life of its metric, even after remove().
class GaugeChild {
 public:
  void inc(double amount = 1) noexcept { cell_->add(amount); }
  void dec(double amount = 1) noexcept { cell_->add(-amount); }
  void set(double value) noexcept { cell_->set(value); }
  /// Sets the gauge to the current Unix time in seconds.
  void set_to_current_time() noexcept { cell_->set(detail::unix_time_now()); }
  /// +1 now, -1 when the returned object goes out of scope.
  [[nodiscard]] InProgress track_inprogress() noexcept { return {&add_to, cell_}; }
  /// Sets the gauge to the seconds the returned object's scope took.
  [[nodiscard]] Timer time() noexcept { return {&set_to, cell_}; }
  /// Scrapes report `function()` instead of the stored value from now on.
  void set_function(std::function<double()> function) { cell_->set_function(std::move(function)); }
  [[nodiscard]] double value() const { return cell_->current(); }

 private:
  friend class detail::MetricBase<detail::GaugeFamily, GaugeChild>;
  GaugeChild(detail::ChildHeader* child, const detail::GaugeFamily*) noexcept
      : cell_(&detail::GaugeFamily::storage(child)) {}
  static void add_to(void* cell, double amount) noexcept {
    static_cast<detail::GaugeCell*>(cell)->add(amount);
  }
  static void set_to(void* cell, double value) noexcept {
    static_cast<detail::GaugeCell*>(cell)->set(value);
  }
  detail::GaugeCell* cell_;
};

class Gauge : public detail::MetricBase<detail::GaugeFamily, GaugeChild> {
 public:
  /// Every field has a default, so designated initializers may name only some of them
  /// (`{.name = ..., .documentation = ...}`) without a -Wmissing-field-initializers warning.
  struct Options {
    std::string name{};
    std::string documentation{};
    std::vector<std::string> labelnames{};
    std::string namespace_{};
    std::string subsystem{};
    std::string unit{};
    Registry* registry = nullptr;  ///< null: default_registry()
  };
  using Child = GaugeChild;

  /// Registers the gauge; throws metrics::Error on a bad or duplicate name.
  explicit Gauge(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void inc(double amount = 1) { unlabelled().inc(amount); }
  void dec(double amount = 1) { unlabelled().dec(amount); }
  void set(double value) { unlabelled().set(value); }
  void set_to_current_time() { unlabelled().set_to_current_time(); }
  [[nodiscard]] InProgress track_inprogress() { return unlabelled().track_inprogress(); }
  [[nodiscard]] Timer time() { return unlabelled().time(); }
  void set_function(std::function<double()> function) {
    unlabelled().set_function(std::move(function));
  }
  [[nodiscard]] double value() const { return unlabelled().value(); }
};

}  // namespace bentoml::metrics
