// Enum's constructor; see bentoml/metrics/enum.hpp.
#include "bentoml/metrics/enum.hpp"

#include <memory>

#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {

Enum::Enum(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::stateset, options);
        return detail::register_family(
            std::make_shared<detail::EnumFamily>(detail::make_identity(definition), options.states),
            definition);
      }()) {}

}  // namespace bentoml::metrics
