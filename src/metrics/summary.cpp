// Summary's constructor; see bentoml/metrics/summary.hpp.
#include "bentoml/metrics/summary.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "exposition/exposition_writer.hpp"
#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {
namespace {

/// The quantile settings of a summary, validated; null when it has no quantiles.
std::unique_ptr<detail::QuantileSettings> quantile_settings(const std::string& metric,
                                                            const Summary::Options& options) {
  if (options.quantiles.empty()) return nullptr;
  const std::string what = "summary '" + metric + "': ";
  auto settings = std::make_unique<detail::QuantileSettings>();
  for (const Summary::Quantile& target : options.quantiles) {
    if (!(target.quantile >= 0 && target.quantile <= 1)) {
      throw Error(what + "quantile " + detail::le_value(target.quantile) + " is not in [0, 1]");
    }
    if (!(target.error > 0 && target.error < 1)) {
      throw Error(what + "error " + detail::le_value(target.error) + " of quantile " +
                  detail::le_value(target.quantile) + " is not in (0, 1)");
    }
    for (const detail::QuantileTarget& earlier : settings->targets) {
      if (earlier.quantile == target.quantile) {
        throw Error(what + "quantile " + detail::le_value(target.quantile) + " is given twice");
      }
    }
    settings->targets.push_back({target.quantile, target.error});
    settings->labels.push_back(detail::le_value(target.quantile));
  }
  if (options.age_buckets < 1) {
    throw Error(what + "age_buckets must be at least 1 (got " +
                std::to_string(options.age_buckets) + ")");
  }
  if (options.max_age.count() <= 0) throw Error(what + "max_age must be positive");
  settings->max_age_nanoseconds = options.max_age.count();
  settings->age_buckets = options.age_buckets;
  settings->clock =
      options.clock != nullptr ? options.clock : &detail::coarse_monotonic_nanoseconds;
  return settings;
}

std::shared_ptr<detail::HistogramFamily> summary_family(const Summary::Options& options) {
  const detail::MetricDefinition definition =
      detail::definition_of(detail::MetricType::summary, options);
  detail::FamilyIdentity identity = detail::make_identity(definition);
  std::unique_ptr<detail::QuantileSettings> settings = quantile_settings(identity.name, options);
  // A summary is stored as a histogram with the +Inf bucket alone (no finite bounds).
  auto family = detail::in_multiprocess_files(
      std::make_shared<detail::HistogramFamily>(std::move(identity), std::vector<double>{}));
  if (settings != nullptr) {
    if (family->external_values() != nullptr) {
      throw Error("summary '" + family->name() +
                  "': quantiles are not supported in multiprocess mode (prometheus_client has "
                  "none); leave Options::quantiles empty there");
    }
    family->set_quantiles(std::move(settings));
  }
  return detail::register_family(std::move(family), definition);
}

}  // namespace

Summary::Summary(const Options& options) : MetricBase(summary_family(options)) {}

}  // namespace bentoml::metrics
