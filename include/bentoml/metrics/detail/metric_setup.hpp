// Internal: building and registering a family from a metric's Options. Not part of the API.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics::detail {

/// Joins and validates the name (namespace_subsystem_name_unit, as prometheus_client does),
/// validates label names for `type`; throws metrics::Error naming the metric.
FamilyIdentity make_identity(MetricType type, const std::string& name,
                             const std::string& documentation,
                             const std::vector<std::string>& labelnames,
                             const std::string& namespace_, const std::string& subsystem,
                             const std::string& unit);

/// Registers `family` in `registry` (null: the default registry) and returns it, or the
/// registered family identical to it.
template <class Family>
std::shared_ptr<Family> register_family(std::shared_ptr<Family> family, Registry* registry) {
  std::shared_ptr<FamilyBase> registered =
      (registry != nullptr ? *registry : default_registry()).register_family(std::move(family));
  // The registry returns either `family` or one whose dynamic type equals its (checked there).
  return std::static_pointer_cast<Family>(std::move(registered));
}

/// Throws metrics::Error: a counter cannot go down.
[[noreturn]] void throw_bad_increment(const FamilyBase& family, double amount);
/// Throws metrics::Error: the metric has labels, so record through labels(...).
[[noreturn]] void throw_labelled(const FamilyBase& family);
/// Throws metrics::Error: `call` (labels, remove) needs a metric with labels.
[[noreturn]] void throw_unlabelled(const FamilyBase& family, const char* call);
/// Throws metrics::Error: set_function cannot work in multiprocess mode.
[[noreturn]] void throw_set_function_multiprocess(const FamilyBase& family);

}  // namespace bentoml::metrics::detail
