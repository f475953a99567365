// metrics::Gauge: a value that goes up and down (Python's bentoml.metrics.Gauge).
//
// Thread-safety: every member may be called from any number of threads. Cost: `set` is one
// relaxed store; `inc`/`dec` a CAS loop on the value's bits; none lock or allocate once the child
// exists. `set_function` makes scrapes call a function instead (the function must be thread-safe
// if several scrapes can run at once); it allocates and is not meant for the hot path.
// In multiprocess mode (multiprocess.hpp) the value is a double in this process's file, the
// `multiprocess_mode` says how the processes' values aggregate, and set_function throws.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/detail/gauge_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"
#include "bentoml/metrics/timer.hpp"

namespace bentoml::metrics {

/// How the values of a gauge aggregate across processes in multiprocess mode (Python's
/// `multiprocess_mode`): `all` keeps one series per process with a `pid` label; `min`, `max` and
/// `sum` combine them; the `live` variants count only processes not marked dead
/// (multiprocess::mark_process_dead removes their files). `mostrecent` and `livemostrecent`
/// (prometheus_client 0.18+) are aggregated when read from Python's files, but not written here.
/// Ignored outside multiprocess mode.
enum class MultiprocessMode {
  all,
  liveall,
  min,
  livemin,
  max,
  livemax,
  sum,
  livesum,
  mostrecent,
  livemostrecent
};

/// One gauge series. Valid for the life of its metric, even after remove().
class GaugeChild {
 public:
  void inc(double amount = 1) noexcept { detail::GaugeCell::add(*word_, amount); }
  void dec(double amount = 1) noexcept { detail::GaugeCell::add(*word_, -amount); }
  void set(double value) noexcept { detail::GaugeCell::set(*word_, value); }
  /// Sets the gauge to the current Unix time in seconds.
  void set_to_current_time() noexcept { set(detail::unix_time_now()); }
  /// +1 now, -1 when the returned object goes out of scope.
  [[nodiscard]] InProgress track_inprogress() noexcept { return {&add_to, word_}; }
  /// Sets the gauge to the seconds the returned object's scope took.
  [[nodiscard]] Timer time() noexcept { return {&set_to, word_}; }
  /// Scrapes report `function()` instead of the stored value from now on. Throws
  /// metrics::Error in multiprocess mode, where other processes read only the files.
  void set_function(std::function<double()> function) {
    if (cell_->multiprocess()) detail::throw_set_function_multiprocess(*family_);
    cell_->set_function(std::move(function));
  }
  [[nodiscard]] double value() const { return cell_->current(); }

 private:
  friend class detail::MetricBase<detail::GaugeFamily, GaugeChild>;
  GaugeChild(detail::ChildHeader* child, const detail::GaugeFamily* family) noexcept
      : cell_(&detail::GaugeFamily::storage(child)), word_(cell_->value_word()), family_(family) {}
  static void add_to(void* word, double amount) noexcept {
    detail::GaugeCell::add(*static_cast<std::atomic<std::uint64_t>*>(word), amount);
  }
  static void set_to(void* word, double value) noexcept {
    detail::GaugeCell::set(*static_cast<std::atomic<std::uint64_t>*>(word), value);
  }
  detail::GaugeCell* cell_;
  std::atomic<std::uint64_t>* word_;  ///< what set/inc/dec write: the cell's or its file's
  const detail::GaugeFamily* family_;
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
    /// How processes' values combine in multiprocess mode (Python's `multiprocess_mode`).
    MultiprocessMode multiprocess_mode = MultiprocessMode::all;
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
