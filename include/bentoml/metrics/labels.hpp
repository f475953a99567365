// Label values as callers pass them to `labels(...)`.
//
// `LabelValue` converts from exactly one string-like argument and `LabelPair` is a name/value
// pair, so `labels({"2.1.0", "cuda:0"})` (by position) and
// `labels({{"device_id", "cuda:0"}, {"torch_version", "2.1.0"}})` (by name) are never ambiguous
// and never build a string from two unrelated pointers (in C++20 `std::string_view{"a", "b"}` is an
// iterator pair). Both hold views: they live for the duration of the call only.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace bentoml::metrics {

/// One label value, by position. Constructible from one string-like argument only.
class LabelValue {
 public:
  constexpr LabelValue(const char* value) noexcept : value_(value) {}       // NOLINT
  constexpr LabelValue(std::string_view value) noexcept : value_(value) {}  // NOLINT
  LabelValue(const std::string& value) noexcept : value_(value) {}          // NOLINT
  [[nodiscard]] constexpr std::string_view view() const noexcept { return value_; }

 private:
  std::string_view value_;
};

/// One label, by name: `{"device_id", "cuda:0"}`.
class LabelPair {
 public:
  constexpr LabelPair(std::string_view name, std::string_view value) noexcept
      : name_(name), value_(value) {}
  [[nodiscard]] constexpr std::string_view name() const noexcept { return name_; }
  [[nodiscard]] constexpr std::string_view value() const noexcept { return value_; }

 private:
  std::string_view name_;
  std::string_view value_;
};

/// Exemplar labels, e.g. `{{"trace_id", "abc"}}` (exposed in OpenMetrics only): what counters
/// and histograms take with an increment or observation.
using Exemplar = std::initializer_list<LabelPair>;

}  // namespace bentoml::metrics
