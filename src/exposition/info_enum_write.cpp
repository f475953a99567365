// What Info and Enum expose, as prometheus_client 0.16 writes them: Info as `<name>_info` with
// its info among the labels, Enum as one sample per state labelled `<name>="<state>"`.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bentoml/metrics/detail/info_enum_family.hpp"
#include "exposition_writer.hpp"

namespace bentoml::metrics::detail {
namespace {

using LabelView = std::pair<std::string_view, std::string_view>;

/// The child's own labels, into `labels` (cleared first).
void child_labels(const FamilyIdentity& identity, const ChildHeader& child,
                  std::vector<LabelView>& labels) {
  labels.clear();
  const LabelBlock block = child.label_block();
  for (std::uint32_t i = 0; i < identity.labelnames.size(); ++i) {
    labels.emplace_back(identity.labelnames[i], block.value(i));
  }
}

void sort_by_name(std::vector<LabelView>& labels) {
  std::sort(labels.begin(), labels.end(),
            [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
}

template <class Visit>
void for_each_active(const FamilyBase& family, Visit&& visit) {
  for (const ChildHeader* child = family.first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_acquire)) {
    if (child->active.load(std::memory_order_acquire)) visit(*child);
  }
}

}  // namespace

void InfoFamily::write(ExpositionWriter& writer) const {
  const std::string sample_name = name() + "_info";
  if (writer.openmetrics()) {
    writer.header(name(), identity(), "info");
  } else {
    writer.header(sample_name, identity(), "gauge");
  }
  std::vector<LabelView> labels;
  for_each_active(*this, [&](const ChildHeader& child) {
    child_labels(identity(), child, labels);
    const auto& cell = static_cast<const Child<InfoCell>&>(child).cell;
    // acquire: the record's labels are complete (InfoCell::publish releases them).
    if (const InfoRecord* record = cell.current.load(std::memory_order_acquire)) {
      for (const auto& [label, value] : record->labels) labels.emplace_back(label, value);
    }
    sort_by_name(labels);
    writer.labelled_sample(sample_name, labels.data(), labels.size(), 1.0);
  });
}

void EnumFamily::write(ExpositionWriter& writer) const {
  writer.header(name(), identity(), writer.openmetrics() ? "stateset" : "gauge");
  std::vector<LabelView> labels;
  for_each_active(*this, [&](const ChildHeader& child) {
    const std::uint32_t current =
        static_cast<const Child<EnumCell>&>(child).cell.state.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < states_.size(); ++i) {
      child_labels(identity(), child, labels);
      labels.emplace_back(name(), states_[i]);
      sort_by_name(labels);
      writer.labelled_sample(name(), labels.data(), labels.size(), i == current ? 1.0 : 0.0);
    }
  });
}

}  // namespace bentoml::metrics::detail
