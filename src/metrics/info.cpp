// Info's constructor and info(); see bentoml/metrics/info.hpp.
#include "bentoml/metrics/info.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric_setup.hpp"

namespace bentoml::metrics {

void InfoChild::info(std::initializer_list<LabelPair> labels) {
  std::vector<std::pair<std::string, std::string>> copied;
  copied.reserve(labels.size());
  for (const LabelPair& pair : labels) copied.emplace_back(pair.name(), pair.value());
  info(std::move(copied));
}

void InfoChild::info(std::vector<std::pair<std::string, std::string>> labels) {
  family_->check_info(labels);
  const detail::InfoRecord* now = cell_->current.load(std::memory_order_acquire);
  if (now != nullptr && now->labels == labels) return;  // unchanged: keep no extra record
  cell_->publish(new detail::InfoRecord{std::move(labels), nullptr});
}

std::vector<std::pair<std::string, std::string>> InfoChild::value() const {
  const detail::InfoRecord* now = cell_->current.load(std::memory_order_acquire);
  return now == nullptr ? std::vector<std::pair<std::string, std::string>>{} : now->labels;
}

Info::Info(const Options& options)
    : MetricBase([&options] {
        const detail::MetricDefinition definition =
            detail::definition_of(detail::MetricType::info, options);
        return detail::register_family(
            std::make_shared<detail::InfoFamily>(detail::make_identity(definition)), definition);
      }()) {}

}  // namespace bentoml::metrics
