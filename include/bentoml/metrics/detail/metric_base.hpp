// Internal: what every metric handle has: its family, labels(), remove(), clear(), and the
// child of a metric without labels. Not part of the API; Counter, Gauge, Histogram and Summary
// derive from it.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/labels.hpp"

namespace bentoml::metrics::detail {

// The errors of the inline recording paths, thrown out of line (src/metrics/metric_setup.cpp) so
// that the inline code stays small.

/// Throws metrics::Error: a counter cannot go down.
[[noreturn]] void throw_bad_increment(const FamilyBase& family, double amount);
/// Throws metrics::Error: the metric has labels, so record through labels(...).
[[noreturn]] void throw_labelled(const FamilyBase& family);
/// Throws metrics::Error: `call` (labels, remove) needs a metric with labels.
[[noreturn]] void throw_unlabelled(const FamilyBase& family, const char* call);
/// Throws metrics::Error: set_function cannot work in multiprocess mode.
[[noreturn]] void throw_set_function_multiprocess(const FamilyBase& family);

/// `Family` is the family type, `ChildHandle` the user-facing child, constructible from
/// `(ChildHeader*, const Family*)` by this class.
template <class Family, class ChildHandle>
class MetricBase {
 public:
  /// The child for these label values by position: `labels({"2.1.0", "cuda:0"})`.
  /// Throws metrics::Error on a metric without labels, as prometheus_client does.
  ChildHandle labels(std::initializer_list<LabelValue> values) {
    // This thread's last lookup here, inline; anything else is one tail call away, so the
    // inline path needs no register saves.
    if (BENTOML_METRICS_LIKELY(unlabelled_ == nullptr)) {
      if (ChildHeader* hit = family_->last_lookup(values)) return ChildHandle(hit, family_.get());
    }
    return looked_up(values);
  }
  /// The child for these label values by name: `labels({{"device_id", "cuda:0"}, ...})`.
  ChildHandle labels(std::initializer_list<LabelPair> values) {
    require_labels("labels");
    return ChildHandle(family_->child(values), family_.get());
  }
  /// Takes a child out of the exposition; handles to it stay valid. Removing a label set that
  /// has no child does nothing. Throws metrics::Error on a metric without labels.
  void remove(std::initializer_list<LabelValue> values) {
    require_labels("remove");
    family_->remove(values);
  }
  void remove(std::initializer_list<LabelPair> values) {
    require_labels("remove");
    family_->remove(values);
  }
  /// Takes every child out of the exposition. On a metric without labels it does nothing: its
  /// one series stays exposed, as in prometheus_client.
  void clear() {
    if (unlabelled_ == nullptr) family_->clear();
  }
  /// The full name (namespace_subsystem_name_unit; a counter's without `_total`).
  [[nodiscard]] const std::string& name() const noexcept { return family_->name(); }

 protected:
  /// Takes the registered family; a metric without labels gets its one child now.
  explicit MetricBase(std::shared_ptr<Family> family) : family_(std::move(family)) {
    if (family_->label_count() == 0) {
      unlabelled_ = family_->child(std::initializer_list<LabelValue>{});
    }
  }
  /// The child of a metric without labels; throws metrics::Error if it has labels.
  [[nodiscard]] ChildHandle unlabelled() const {
    if (BENTOML_METRICS_UNLIKELY(unlabelled_ == nullptr)) throw_labelled(*family_);
    return ChildHandle(unlabelled_, family_.get());
  }
  [[nodiscard]] const Family& family() const noexcept { return *family_; }

 private:
  BENTOML_METRICS_NOINLINE ChildHandle looked_up(std::initializer_list<LabelValue> values) {
    require_labels("labels");
    return ChildHandle(family_->look_up(values), family_.get());
  }
  void require_labels(const char* call) const {
    if (BENTOML_METRICS_UNLIKELY(unlabelled_ != nullptr)) throw_unlabelled(*family_, call);
  }

  std::shared_ptr<Family> family_;
  ChildHeader* unlabelled_ = nullptr;
};

}  // namespace bentoml::metrics::detail
