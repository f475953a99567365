// Internal: the family behind Histogram and Summary. Not part of the API.
#pragma once

#include <atomic>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/bucket_search.hpp"
#include "bentoml/metrics/detail/child_arena.hpp"
#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/detail/histogram_cell.hpp"
#include "bentoml/metrics/detail/summary_quantiles.hpp"

namespace bentoml::metrics::detail {

/// A histogram (bounds given) or a summary without quantiles (no bounds: one +Inf bucket).
class HistogramFamily final : public FamilyBase {
 public:
  /// `finite_bounds`: ascending upper bounds without the final +Inf.
  HistogramFamily(FamilyIdentity identity, std::vector<double> finite_bounds);
  ~HistogramFamily() override;

  static HistogramCell& storage(ChildHeader* child) noexcept {
    return static_cast<Child<HistogramCell>*>(child)->cell;
  }
  [[nodiscard]] const std::vector<double>& finite_bounds() const noexcept { return bounds_; }

  /// A summary with quantiles: every child created from now on gets a SummaryQuantiles, whose
  /// address its allocation keeps after the shard. Set before the family is registered.
  void set_quantiles(std::unique_ptr<QuantileSettings> settings);
  [[nodiscard]] const QuantileSettings* quantile_settings() const noexcept {
    return quantile_settings_.get();
  }
  /// The child's quantiles; null for a family without them.
  [[nodiscard]] SummaryQuantiles* quantiles(const ChildHeader* child) const noexcept {
    if (quantile_settings_ == nullptr) return nullptr;
    SummaryQuantiles* quantiles = nullptr;
    std::memcpy(&quantiles, reinterpret_cast<const char*>(child) + quantiles_offset_,
                sizeof quantiles);
    return quantiles;
  }
  void write(ExpositionWriter& writer) const override;
  void before_fork() noexcept override;
  void after_fork_in_parent() noexcept override;
  void after_fork_in_child() noexcept override;

 private:
  ChildHeader* make_child(const std::string_view* values) override;
  /// A child whose values live in a multiprocess file.
  ChildHeader* make_multiprocess_child(ExternalValues& external, const std::string_view* values);
  void destroy_child(ChildHeader* child) noexcept override;
  void unlock_quantiles_after_fork() noexcept;

  ChildArena arena_;  ///< every child's memory (children are freed only with the family)
  std::vector<double> bounds_;
  BucketSearch search_;  ///< the children's (each cell points at it)
  std::unique_ptr<QuantileSettings> quantile_settings_;  ///< null: no quantiles
  std::size_t quantiles_offset_ = 0;  ///< where a child's SummaryQuantiles* is, from the child
  /// Scrapes of this family run one at a time (a histogram reading flips hot/cold copies);
  /// recording never looks at this flag.
  mutable std::atomic_flag reading_ = ATOMIC_FLAG_INIT;
};

}  // namespace bentoml::metrics::detail
