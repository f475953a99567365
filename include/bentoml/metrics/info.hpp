// metrics::Info: key-value information about the target (Python's prometheus_client.Info),
// exposed as `<name>_info{labels..., info...} 1.0` (an `info` family in OpenMetrics, a gauge in
// text 0.0.4).
//
// Thread-safety: every member may be called from any number of threads; a scrape sees either
// the old or the new info, never a mix. Cost: `info()` validates, sorts and allocates its record
// (meant to be called once or rarely: replaced records are kept until the metric is destroyed).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/detail/info_enum_family.hpp"
#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// One Info series. Valid for the life of its metric, even after remove().
class InfoChild {
 public:
  /// Sets the info labels, replacing the previous ones (Python's `info(dict)`). Throws
  /// metrics::Error, changing nothing, on an invalid or reserved label name, a name given twice
  /// or one of the metric's label names.
  void info(std::initializer_list<LabelPair> labels);
  void info(std::vector<std::pair<std::string, std::string>> labels);
  /// The current info labels, sorted by name.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> value() const;

 private:
  friend class detail::MetricBase<detail::InfoFamily, InfoChild>;
  InfoChild(detail::ChildHeader* child, const detail::InfoFamily* family) noexcept
      : cell_(&detail::InfoFamily::storage(child)), family_(family) {}
  detail::InfoCell* cell_;
  const detail::InfoFamily* family_;
};

class Info : public detail::MetricBase<detail::InfoFamily, InfoChild> {
 public:
  struct Options {
    std::string name{};  ///< exposed as `<name>_info`
    std::string documentation{};
    std::vector<std::string> labelnames{};
    std::string namespace_{};
    std::string subsystem{};
    Registry* registry = nullptr;  ///< null: default_registry()
  };
  using Child = InfoChild;

  /// Registers the metric; throws metrics::Error on a bad or duplicate name.
  explicit Info(const Options& options);

  /// For a metric without labels (throw metrics::Error if it has labels).
  void info(std::initializer_list<LabelPair> labels) { unlabelled().info(labels); }
  void info(std::vector<std::pair<std::string, std::string>> labels) {
    unlabelled().info(std::move(labels));
  }
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> value() const {
    return unlabelled().value();
  }
};

}  // namespace bentoml::metrics
