// Building a family from a metric's Options, and the errors of the inline recording paths,
// worded like prometheus_client's.
#include "metrics/metric_setup.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/metric_base.hpp"
#include "bentoml/metrics/error.hpp"
#include "exposition/number_format.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {

FamilyIdentity make_identity(const MetricDefinition& definition) {
  const MetricType type = definition.type;
  const std::string& name = definition.name;
  const std::vector<std::string>& labelnames = definition.labelnames;
  const std::string_view unit = definition.unit;
  if (name.empty())
    throw Error(std::string(metric_type_name(type)) + ": metric name must not be empty");
  std::string full_name;
  if (!definition.namespace_.empty()) full_name += definition.namespace_ + "_";
  if (!definition.subsystem.empty()) full_name += definition.subsystem + "_";
  full_name += name;
  constexpr std::string_view kTotal = "_total";
  if (type == MetricType::counter && full_name.size() >= kTotal.size() &&
      full_name.compare(full_name.size() - kTotal.size(), kTotal.size(), kTotal) == 0) {
    full_name.resize(full_name.size() - kTotal.size());  // exposed as <name>_total anyway
  }
  if (!unit.empty()) {
    const std::string suffix = "_" + std::string(unit);
    if (full_name.size() < suffix.size() ||
        full_name.compare(full_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      full_name += suffix;
    }
  }
  const std::string what = std::string(metric_type_name(type)) + " " + quoted(full_name);
  if (full_name.empty()) {  // a counter named just `_total`, as prometheus_client rejects it
    throw Error(std::string(metric_type_name(type)) + " " + quoted(name) +
                ": invalid metric name (nothing is left once the `_total` suffix is dropped)");
  }
  if (!valid_metric_name(full_name)) {
    throw Error(what + ": invalid metric name (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  if (!valid_utf8(definition.documentation)) {
    throw Error(what + ": documentation is not valid UTF-8");
  }
  for (std::size_t i = 0; i < labelnames.size(); ++i) {
    const std::string& label = labelnames[i];
    if (!valid_label_name(label)) {
      throw Error(what + ": invalid label name " + quoted(label) +
                  " (must match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    if (label.size() >= 2 && label[0] == '_' && label[1] == '_') {
      throw Error(what + ": label name " + quoted(label) + " is reserved (starts with __)");
    }
    if (type == MetricType::histogram && label == "le") {
      throw Error(what + ": label name 'le' is reserved for histogram buckets");
    }
    if (type == MetricType::summary && label == "quantile") {
      throw Error(what + ": label name 'quantile' is reserved for summaries");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (labelnames[j] == label) throw Error(what + ": duplicate label name " + quoted(label));
    }
  }
  FamilyIdentity identity{
      full_name, definition.documentation, std::string(unit), labelnames, type, {}, 0};
  for (std::uint32_t i = 0; i < labelnames.size(); ++i) identity.sorted_labels.push_back(i);
  std::sort(
      identity.sorted_labels.begin(), identity.sorted_labels.end(),
      [&labelnames](std::uint32_t a, std::uint32_t b) { return labelnames[a] < labelnames[b]; });
  // A summary's quantile samples put `quantile` where a histogram's buckets put `le`.
  const std::string_view extra = definition.type == MetricType::summary ? "quantile" : "le";
  for (const std::string& label : labelnames) identity.labels_before_le += label < extra ? 1 : 0;
  return identity;
}

void throw_bad_increment(const FamilyBase& family, double amount) {
  std::string message =
      "counter " + quoted(family.name()) + ": increment must be a non-negative number, got ";
  append_go_float(message, amount);  // as the exposition writes numbers: -1.0, -Inf, NaN
  throw Error(message);
}

void throw_labelled(const FamilyBase& family) {
  throw Error("metric " + quoted(family.name()) +
              " has labels: record through labels(...), not on the metric itself");
}

void throw_unlabelled(const FamilyBase& family, const char* call) {
  throw Error("metric " + quoted(family.name()) + " has no labels: " + call +
              "(...) needs label names, set when constructing it");
}

void throw_set_function_multiprocess(const FamilyBase& family) {
  throw Error("gauge " + quoted(family.name()) +
              ": set_function is not available in multiprocess mode (the function would run only "
              "in this process, while scrapes aggregate the files); set the gauge instead");
}

}  // namespace bentoml::metrics::detail
