// metrics::Counter: a value that only goes up (Python's bentoml.metrics.Counter).
//
// Exposed as `<name>_total` (and `<name>_created`). Thread-safety: every member may be called
// from any number of threads. Cost: `inc()` on a child is one CAS on an uncontended counter and a
// plain load+store into the calling thread's own cell once threads contend; it never locks and,
// once the child exists, never allocates. `labels()` of an existing child is lock-free and
// allocation-free. Whole increments are exact integers (no precision loss past 2^53).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bentoml/metrics/count_exceptions.hpp"
#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// One counter series. Valid for the life of its metric, even after remove().
class CounterChild {
 public:
  /// Adds 1.
  void inc() noexcept { storage_->value.add_whole(1); }
  /// Adds `amount`; throws metrics::Error (and changes nothing) if it is negative or NaN.
  void inc(double amount) {
    if (BENTOML_METRICS_UNLIKELY(!(amount >= 0))) detail::throw_bad_increment(*family_, amount);
    storage_->value.add(amount);
  }
  /// Adds `amount` and keeps `exemplar` as the latest one (OpenMetrics exposition). An empty
  /// exemplar is none: the previous one stays, as in prometheus_client. Throws metrics::Error
  /// (changing nothing) if the exemplar is invalid (see validate_exemplar) or too long.
  void inc(double amount, Exemplar exemplar) {
    detail::validate_exemplar(family_->name(), exemplar);
    inc(amount);
    if (exemplar.size() != 0) {
      storage_->store_exemplar(exemplar, amount, detail::unix_time_now());
    }
  }
  /// The current value.
  [[nodiscard]] double value() const noexcept { return storage_->value.value(); }
  /// Adds 1 if the returned guard's scope is left by an exception (Python's
  /// `with c.count_exceptions():`); any exception type.
  [[nodiscard]] ExceptionCounter count_exceptions() noexcept { return {&count_one, storage_}; }
  /// `function` wrapped: a call adds 1 when it throws `Exception` (any exception when void, the
  /// default) and rethrows (Python's `@c.count_exceptions(ValueError)`).
  template <class Exception = void, class Function>
  [[nodiscard]] CountedCall<Exception, CounterChild, std::decay_t<Function>> count_exceptions(
      Function&& function) const {
    return {*this, std::forward<Function>(function)};
  }

 private:
  static void count_one(void* storage) noexcept {
    static_cast<detail::CounterStorage*>(storage)->value.add_whole(1);
  }
  friend class detail::MetricBase<detail::CounterFamily, CounterChild>;
  CounterChild(detail::ChildHeader* child, const detail::CounterFamily* family) noexcept
      : storage_(&detail::CounterFamily::storage(child)), family_(family) {}
  detail::CounterStorage* storage_;
  const detail::CounterFamily* family_;
};

class Counter : public detail::MetricBase<detail::CounterFamily, CounterChild> {
 public:
  /// Every field has a default, so designated initializers may name only some of them
  /// (`{.name = ..., .documentation = ...}`) without a -Wmissing-field-initializers warning.
  struct Options {
    std::string name{};           ///< a trailing `_total` is dropped, as Python does
    std::string documentation{};  ///< HELP text
    std::vector<std::string> labelnames{};
    std::string namespace_{};      ///< prefix joined with `_`
    std::string subsystem{};       ///< joined with `_` after the namespace
    std::string unit{};            ///< suffix joined with `_`; `# UNIT` in OpenMetrics
    Registry* registry = nullptr;  ///< null: default_registry()
  };
  using Child = CounterChild;

  /// Registers the counter; throws metrics::Error on a bad or duplicate name.
  explicit Counter(const Options& options);

  /// For a metric without labels: record directly (throws metrics::Error if it has labels).
  void inc() { unlabelled().inc(); }
  void inc(double amount) { unlabelled().inc(amount); }
  void inc(double amount, Exemplar exemplar) { unlabelled().inc(amount, exemplar); }
  [[nodiscard]] double value() const { return unlabelled().value(); }
  [[nodiscard]] ExceptionCounter count_exceptions() { return unlabelled().count_exceptions(); }
  template <class Exception = void, class Function>
  [[nodiscard]] auto count_exceptions(Function&& function) const {
    return unlabelled().template count_exceptions<Exception>(std::forward<Function>(function));
  }
};

}  // namespace bentoml::metrics
