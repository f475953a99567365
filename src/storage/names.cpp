// Name rules and the errors of the registration path, worded like prometheus_client's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "bentoml/metrics/detail/exemplar_slot.hpp"
#include "bentoml/metrics/detail/metric_setup.hpp"
#include "bentoml/metrics/error.hpp"
#include "exposition/number_format.hpp"
#include "storage/names.hpp"

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

namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

const char* type_name(MetricType type) {
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

}  // namespace

FamilyIdentity make_identity(MetricType type, const std::string& name,
                             const std::string& documentation,
                             const std::vector<std::string>& labelnames,
                             const std::string& namespace_, const std::string& subsystem,
                             const std::string& unit) {
  if (name.empty()) throw Error(std::string(type_name(type)) + ": metric name must not be empty");
  std::string full_name;
  if (!namespace_.empty()) full_name += namespace_ + "_";
  if (!subsystem.empty()) full_name += subsystem + "_";
  full_name += name;
  constexpr std::string_view kTotal = "_total";
  if (type == MetricType::counter && full_name.size() >= kTotal.size() &&
      full_name.compare(full_name.size() - kTotal.size(), kTotal.size(), kTotal) == 0) {
    full_name.resize(full_name.size() - kTotal.size());  // exposed as <name>_total anyway
  }
  if (!unit.empty()) {
    const std::string suffix = "_" + unit;
    if (full_name.size() < suffix.size() ||
        full_name.compare(full_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      full_name += suffix;
    }
  }
  const std::string what = std::string(type_name(type)) + " " + quoted(full_name);
  if (full_name.empty()) {  // a counter named just `_total`, as prometheus_client rejects it
    throw Error(std::string(type_name(type)) + " " + quoted(name) +
                ": invalid metric name (nothing is left once the `_total` suffix is dropped)");
  }
  if (!valid_metric_name(full_name)) {
    throw Error(what + ": invalid metric name (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  if (!valid_utf8(documentation)) throw Error(what + ": documentation is not valid UTF-8");
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
  FamilyIdentity identity{full_name, documentation, unit, labelnames, type, {}, 0};
  for (std::uint32_t i = 0; i < labelnames.size(); ++i) identity.sorted_labels.push_back(i);
  std::sort(
      identity.sorted_labels.begin(), identity.sorted_labels.end(),
      [&labelnames](std::uint32_t a, std::uint32_t b) { return labelnames[a] < labelnames[b]; });
  for (const std::string& label : labelnames) identity.labels_before_le += label < "le" ? 1 : 0;
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

namespace {
/// The number of code points in `text`, or -1 if it is not valid UTF-8 (overlong forms,
/// surrogates and values past U+10FFFF are invalid, as Python's strict decoder has them).
long utf8_code_points(std::string_view text) {
  long points = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t point = 0;
    if (lead < 0x80) {
      length = 1;
      point = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      point = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      point = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      point = lead & 0x07u;
    } else {
      return -1;
    }
    if (text.size() - i < length) return -1;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      point = (point << 6) | (next & 0x3Fu);
    }
    const bool overlong = (length == 3 && point < 0x800) || (length == 4 && point < 0x10000);
    if (overlong || (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF) return -1;
    i += length;
    ++points;
  }
  return points;
}
}  // namespace

bool valid_utf8(std::string_view text) { return utf8_code_points(text) >= 0; }

void throw_unlabelled(const FamilyBase& family, const char* call) {
  throw Error("metric " + quoted(family.name()) + " has no labels: " + call +
              "(...) needs label names, set when constructing it");
}

void throw_set_function_multiprocess(const FamilyBase& family) {
  throw Error("gauge " + quoted(family.name()) +
              ": set_function is not available in multiprocess mode (the function would run only "
              "in this process, while scrapes aggregate the files); set the gauge instead");
}

void validate_exemplar(std::string_view metric, std::initializer_list<LabelPair> labels) {
  std::size_t runes = 0;
  std::size_t bytes = 0;
  for (auto label = labels.begin(); label != labels.end(); ++label) {
    const std::string_view name = label->name();
    if (!valid_label_name(name)) {
      throw Error("metric " + quoted(metric) + ": invalid exemplar label name " + quoted(name));
    }
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') {
      throw Error("metric " + quoted(metric) + ": exemplar label name " + quoted(name) +
                  " is reserved (starts with __)");
    }
    for (auto earlier = labels.begin(); earlier != label; ++earlier) {
      if (earlier->name() == name) {
        throw Error("metric " + quoted(metric) + ": exemplar label " + quoted(name) +
                    " given twice");
      }
    }
    const long value_runes = utf8_code_points(label->value());
    if (value_runes < 0) {
      throw Error("metric " + quoted(metric) + ": exemplar label " + quoted(name) +
                  " has a value that is not valid UTF-8");
    }
    runes += name.size() + static_cast<std::size_t>(value_runes);
    bytes += kExemplarLabelOverhead + name.size() + label->value().size();
  }
  if (runes > kMaxExemplarRunes || bytes > kExemplarBytes) {
    throw Error("metric " + quoted(metric) + ": exemplar labels have " + std::to_string(runes) +
                " characters; OpenMetrics allows at most 128 (names and values together)");
  }
}

}  // namespace bentoml::metrics::detail
