// Gauge's constructor; see bentoml/metrics/gauge.hpp.
#include "bentoml/metrics/gauge.hpp"

#include <memory>

#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {

Gauge::Gauge(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::gauge, options);
        return detail::register_family(
            detail::in_multiprocess_files(
                std::make_shared<detail::GaugeFamily>(detail::make_identity(definition)),
                options.multiprocess_mode),
            definition);
      }()) {}

}  // namespace bentoml::metrics
