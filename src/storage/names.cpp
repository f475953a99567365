// The Prometheus name rules, shared by metrics, Info labels, exemplars and collectors, and the
// words error messages use for them.
#include "storage/names.hpp"

#include <string>
#include <string_view>

namespace bentoml::metrics::detail {
namespace {

bool is_letter_or_underscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_letter_or_underscore(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_letter_or_underscore(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !is_letter_or_underscore(name[0])) return false;
  for (char c : name) {
    if (!(is_letter_or_underscore(c) || is_digit(c))) return false;
  }
  return true;
}

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
    case MetricType::summary:
      return "summary";
    case MetricType::info:
      return "info";
    case MetricType::stateset:
      return "enum";
    case MetricType::custom:
      return "collector";
  }
  return "metric";
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace bentoml::metrics::detail
