// Counter's constructor; see bentoml/metrics/counter.hpp.
#include "bentoml/metrics/counter.hpp"

#include <memory>

#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {

Counter::Counter(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::counter, options);
        return detail::register_family(
            detail::in_multiprocess_files(
                std::make_shared<detail::CounterFamily>(detail::make_identity(definition))),
            definition);
      }()) {}

}  // namespace bentoml::metrics
