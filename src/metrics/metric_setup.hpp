// Internal: building and registering a family from a metric's Options.
//
// Counter, Gauge, Histogram, Summary, Info and Enum each declare their Options with the same
// leading fields (name, documentation, labelnames, namespace_, subsystem, unit where the type has
// one, registry). The fields stay written out in each struct, because designated initializers
// (`Histogram h{{.name = "x", .buckets = ...}}`) cannot name the members of a base struct; the
// code that handles them is shared instead: `definition_of` views any of them as one
// MetricDefinition.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "bentoml/metrics/registry.hpp"
#include "multiprocess/store.hpp"
#include "storage/registry_access.hpp"

namespace bentoml::metrics::detail {

/// The fields every metric's Options has, viewed (not copied).
struct MetricDefinition {
  MetricType type;
  const std::string& name;
  const std::string& documentation;
  const std::vector<std::string>& labelnames;
  const std::string& namespace_;
  const std::string& subsystem;
  std::string_view unit;  ///< empty for the types without one (Info, Enum)
  Registry* registry;     ///< null: default_registry()
};

template <class Options, class = void>
struct HasUnit : std::false_type {};
template <class Options>
struct HasUnit<Options, std::void_t<decltype(std::declval<const Options&>().unit)>>
    : std::true_type {};

/// `options` (any metric's Options) as the definition of a metric of `type`.
template <class Options>
MetricDefinition definition_of(MetricType type, const Options& options) {
  std::string_view unit;
  if constexpr (HasUnit<Options>::value) unit = options.unit;
  return {type,
          options.name,
          options.documentation,
          options.labelnames,
          options.namespace_,
          options.subsystem,
          unit,
          options.registry};
}

/// Joins and validates the name (namespace_subsystem_name_unit, as prometheus_client does) and
/// validates the label names for the type; throws metrics::Error naming the metric.
FamilyIdentity make_identity(const MetricDefinition& definition);

/// In multiprocess mode, the family's children keep their values in this process's file of its
/// kind (src/multiprocess/store.hpp); otherwise `family` is returned unchanged.
template <class Family>
std::shared_ptr<Family> in_multiprocess_files(std::shared_ptr<Family> family,
                                              MultiprocessMode mode = MultiprocessMode::all) {
  family->set_external_values(
      multiprocess_values_for(family->identity().type, mode, family->identity()));
  return family;
}

/// Registers `family` in the definition's registry and returns it, or the registered family
/// identical to it.
template <class Family>
std::shared_ptr<Family> register_family(std::shared_ptr<Family> family,
                                        const MetricDefinition& definition) {
  Registry& registry = definition.registry != nullptr ? *definition.registry : default_registry();
  // The registry returns either `family` or one whose dynamic type equals its (checked there).
  return std::static_pointer_cast<Family>(
      RegistryAccess::register_family(registry, std::move(family)));
}

}  // namespace bentoml::metrics::detail
