// Internal: where a family's values live when they are not in process memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

/// Where a family's values live when they are not in process memory: multiprocess mode's
/// mapped files (src/multiprocess). Asked under the family's creation mutex, once per sample of
/// a new child; the words it returns stay valid for the life of the process.
class ExternalValues {
 public:
  /// The word (a double) of sample `<name><suffix>` of the series with `values` (label-name
  /// order), with an `le` label when `le` is not null. Throws metrics::Error naming the metric
  /// when it cannot provide one.
  virtual std::atomic<std::uint64_t>* word(const FamilyIdentity& identity, std::string_view suffix,
                                           const std::string_view* values, const double* le) = 0;

 protected:
  ExternalValues() = default;
  ExternalValues(const ExternalValues&) = default;
  ExternalValues& operator=(const ExternalValues&) = default;
  ~ExternalValues() = default;
};

}  // namespace bentoml::metrics::detail
