// Summary's constructor; see bentoml/metrics/summary.hpp.
#include "bentoml/metrics/summary.hpp"

#include <memory>
#include <vector>

#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {

Summary::Summary(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::summary, options);
        // A summary is stored as a histogram with the +Inf bucket alone (no finite bounds).
        return detail::register_family(
            detail::in_multiprocess_files(std::make_shared<detail::HistogramFamily>(
                detail::make_identity(definition), std::vector<double>{})),
            definition);
      }()) {}

}  // namespace bentoml::metrics
