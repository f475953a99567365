// The families behind Info and Enum: validation and children; see detail/info_enum_family.hpp.
#include "bentoml/metrics/detail/info_enum_family.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "storage/child_memory.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {

InfoCell::~InfoCell() {
  const InfoRecord* record = current.load(std::memory_order_acquire);
  while (record != nullptr) delete std::exchange(record, record->previous);
}

void InfoCell::publish(InfoRecord* record) noexcept {
  const InfoRecord* expected = current.load(std::memory_order_relaxed);
  do {
    record->previous = expected;
    // release: a scrape that loads the record (acquire) sees its labels fully built.
  } while (!current.compare_exchange_weak(expected, record, std::memory_order_release,
                                          std::memory_order_relaxed));
}

void InfoFamily::check_info(std::vector<std::pair<std::string, std::string>>& labels) const {
  const std::string what = "info " + quoted(name());
  for (const auto& [label, value] : labels) {
    if (!valid_label_name(label)) {
      throw Error(what + ": invalid label name " + quoted(label) +
                  " (must match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    if (label.size() >= 2 && label[0] == '_' && label[1] == '_') {
      throw Error(what + ": label name " + quoted(label) + " is reserved (starts with __)");
    }
    if (!valid_utf8(value)) {
      throw Error(what + ": the value of label " + quoted(label) + " is not valid UTF-8");
    }
    const auto& names = identity().labelnames;
    if (std::find(names.begin(), names.end(), label) != names.end()) {
      throw Error(what + ": overlapping labels: " + quoted(label) +
                  " is a label name of the metric");
    }
  }
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < labels.size(); ++i) {
    if (labels[i - 1].first == labels[i].first) {
      throw Error(what + ": label name " + quoted(labels[i].first) + " given twice");
    }
  }
}

ChildHeader* InfoFamily::make_child(const std::string_view* values) {
  return new_child<InfoCell>(identity(), values);
}

void InfoFamily::destroy_child(ChildHeader* child) noexcept {
  delete_child<InfoCell>(child);
}

EnumFamily::EnumFamily(FamilyIdentity identity, std::vector<std::string> states)
    : FamilyBase(std::move(identity)), states_(std::move(states)) {
  const std::string what = "enum " + quoted(name());
  if (states_.empty()) throw Error(what + ": no states given");
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (!valid_utf8(states_[i])) throw Error(what + ": a state is not valid UTF-8");
    for (std::size_t j = 0; j < i; ++j) {
      if (states_[i] == states_[j]) throw Error(what + ": state " + quoted(states_[i]) + " twice");
    }
  }
  // The state is exposed as a label named after the metric: `name{name="state"}`. A metric name
  // may hold ':' (and a namespace may make it start with "__"), which a label name may not.
  if (!valid_label_name(name()) || name().rfind("__", 0) == 0) {
    throw Error(what + ": the name must also be a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not "
                       "starting with __): it labels the state");
  }
  const auto& names = this->identity().labelnames;
  if (std::find(names.begin(), names.end(), name()) != names.end()) {
    throw Error(what + ": overlapping labels: the metric's name is a label name");
  }
}

std::uint32_t EnumFamily::index_of(std::string_view state) const {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] == state) return static_cast<std::uint32_t>(i);
  }
  throw Error("enum " + quoted(name()) + ": " + quoted(state) + " is not one of its states");
}

ChildHeader* EnumFamily::make_child(const std::string_view* values) {
  return new_child<EnumCell>(identity(), values);
}

void EnumFamily::destroy_child(ChildHeader* child) noexcept {
  delete_child<EnumCell>(child);
}

}  // namespace bentoml::metrics::detail
