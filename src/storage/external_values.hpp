// Internal: where a family's values live when they are not in process memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

/// One sample of a series: `<name><suffix>`, with an `le` label when `le` is not null.
struct SampleWord {
  std::string_view suffix;
  const double* le = nullptr;
};

/// Where a family's values live when they are not in process memory: multiprocess mode's
/// mapped files (src/multiprocess). Asked under the family's creation mutex, once per new child;
/// the words it returns stay valid for the life of the process.
class ExternalValues {
 public:
  /// The words (doubles) of `count` samples of the series with `values` (label-name order),
  /// into `words`. All of a series' samples appear to readers at once, or none do (a process
  /// killed half-way leaves none): a scrape never sees a histogram without its `+Inf` bucket.
  /// Throws metrics::Error naming the metric when it cannot provide them.
  virtual void words(const FamilyIdentity& identity, const std::string_view* values,
                     const SampleWord* samples, std::size_t count,
                     std::atomic<std::uint64_t>** words) = 0;

 protected:
  ExternalValues() = default;
  ExternalValues(const ExternalValues&) = default;
  ExternalValues& operator=(const ExternalValues&) = default;
  ~ExternalValues() = default;
};

}  // namespace bentoml::metrics::detail
