// Internal: a registered Collector as a family of the registry's list, so that a scrape visits it
// in registration order beside the built-in metrics (whose scrape stays lock-free).
//
// write() calls collect(), validates everything it returned, and only then writes it: a bad
// name, a foreign sample or an exception leaves nothing of this collector in the scrape, is
// reported on stderr once per collector, and the scrape goes on.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

class CollectorFamily final : public FamilyBase {
 public:
  /// Calls `collector->describe()` once, for the names it claims.
  explicit CollectorFamily(std::shared_ptr<Collector> collector);
  ~CollectorFamily() override;

  void write(ExpositionWriter& writer) const override;

  [[nodiscard]] const Collector& collector() const noexcept { return *collector_; }
  /// The sample names the described families claim, as prometheus_client counts them.
  [[nodiscard]] const std::vector<std::string>& claimed_names() const noexcept { return claimed_; }

 protected:
  ChildHeader* make_child(const std::string_view* values) override;
  void destroy_child(ChildHeader* child) noexcept override;

 private:
  void report(const std::string& problem) const noexcept;

  std::shared_ptr<Collector> collector_;
  std::vector<std::string> claimed_;
  mutable std::atomic<bool> reported_{false};
};

/// Why `family` cannot be exposed (empty when it can): names, types and samples checked as the
/// OpenMetrics rules and prometheus_client's family types require.
std::string family_problem(const MetricFamily& family);

/// Writes a valid `family` as prometheus_client writes a collector's family in the writer's
/// format.
void write_metric_family(ExpositionWriter& writer, const MetricFamily& family);

}  // namespace bentoml::metrics::detail
