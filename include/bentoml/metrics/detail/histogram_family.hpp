// Internal: the family behind Histogram and Summary. Not part of the API.
#pragma once

#include <atomic>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/detail/histogram_cell.hpp"

namespace bentoml::metrics::detail {

/// A histogram (bounds given) or a summary without quantiles (no bounds: one +Inf bucket).
class HistogramFamily final : public FamilyBase {
 public:
  /// `finite_bounds`: ascending upper bounds without the final +Inf.
  HistogramFamily(FamilyIdentity identity, std::vector<double> finite_bounds);
  ~HistogramFamily() override { destroy_children(); }

  static HistogramCell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<HistogramCell>*>(child)->cell;
  }
  [[nodiscard]] const std::vector<double>& finite_bounds() const noexcept { return bounds_; }
  void write(ExpositionWriter& writer) const override;
  void before_fork() noexcept override;
  void after_fork_in_parent() noexcept override;
  void after_fork_in_child() noexcept override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  /// A child whose values live in a multiprocess file.
  ChildHeader* make_multiprocess_child(ExternalValues& external, const std::string_view* values);
  void destroy_child(ChildHeader* child) noexcept override;

  std::vector<double> bounds_;
  /// Scrapes of this family run one at a time (a histogram reading flips hot/cold copies);
  /// recording never looks at this flag.
  mutable std::atomic_flag reading_ = ATOMIC_FLAG_INIT;
};

}  // namespace bentoml::metrics::detail
