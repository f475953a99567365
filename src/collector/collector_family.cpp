// A Collector's families at scrape time: validation and exposition; see collector_family.hpp.
#include "collector/collector_family.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string_view>
#include <utility>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/process_collector.hpp"
#include "exposition_writer.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics::detail {
namespace {

bool unit_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

const char* type_word(FamilyType type) {
  switch (type) {
    case FamilyType::counter:
      return "counter";
    case FamilyType::gauge:
      return "gauge";
    case FamilyType::histogram:
      return "histogram";
    case FamilyType::gaugehistogram:
      return "gaugehistogram";
    case FamilyType::summary:
      return "summary";
    case FamilyType::info:
      return "info";
    case FamilyType::stateset:
      return "stateset";
    case FamilyType::unknown:
      return "unknown";
  }
  return "unknown";
}

/// The suffixes a sample name may add to its family's name, per type (OpenMetrics 1.0.0).
std::vector<std::string_view> sample_suffixes(FamilyType type) {
  switch (type) {
    case FamilyType::counter:
      return {"_total", "_created"};
    case FamilyType::histogram:
      return {"_bucket", "_count", "_sum", "_created"};
    case FamilyType::gaugehistogram:
      return {"_bucket", "_gcount", "_gsum"};
    case FamilyType::summary:
      return {"", "_count", "_sum", "_created"};
    case FamilyType::info:
      return {"_info"};
    case FamilyType::gauge:
    case FamilyType::stateset:
    case FamilyType::unknown:
      return {""};
  }
  return {""};
}

/// The names prometheus_client's registry claims for a described family (`_get_names`).
void append_claimed(const MetricFamily& family, std::vector<std::string>& names) {
  names.push_back(family.name());
  std::vector<std::string_view> suffixes;
  switch (family.type()) {
    case FamilyType::counter:
    case FamilyType::histogram:
    case FamilyType::gaugehistogram:
    case FamilyType::summary:
    case FamilyType::info:
      suffixes = sample_suffixes(family.type());
      break;
    default:
      break;
  }
  for (std::string_view suffix : suffixes) {
    if (!suffix.empty()) names.push_back(family.name() + std::string(suffix));
  }
}

using LabelView = std::pair<std::string_view, std::string_view>;

/// The sample's labels sorted by name, into `sorted` (reused between samples).
void sort_labels(const Sample& sample, std::vector<LabelView>& sorted) {
  sorted.clear();
  for (const auto& [name, value] : sample.labels) sorted.emplace_back(name, value);
  std::sort(sorted.begin(), sorted.end(),
            [](const LabelView& a, const LabelView& b) { return a.first < b.first; });
}

}  // namespace

std::string family_problem(const MetricFamily& family) {
  const std::string what =
      std::string(type_word(family.type())) + " family " + quoted(family.name());
  if (!valid_metric_name(family.name())) return what + ": invalid metric name";
  if (!family.unit().empty()) {
    if (family.type() == FamilyType::info || family.type() == FamilyType::stateset) {
      return what + ": a family of this type cannot have a unit";
    }
    if (!std::all_of(family.unit().begin(), family.unit().end(), unit_char)) {
      return what + ": invalid unit " + quoted(family.unit());
    }
  }
  const std::vector<std::string_view> suffixes = sample_suffixes(family.type());
  std::vector<std::string_view> names;
  for (const Sample& sample : family.samples()) {
    const std::string_view name = sample.name;
    const auto belongs = [&](std::string_view suffix) {
      return name.size() == family.name().size() + suffix.size() &&
             name.compare(0, family.name().size(), family.name()) == 0 &&
             name.substr(family.name().size()) == suffix;
    };
    const auto suffix = std::find_if(suffixes.begin(), suffixes.end(), belongs);
    if (suffix == suffixes.end()) {
      return what + ": sample " + quoted(name) + " does not belong to the family";
    }
    names.clear();
    for (const auto& [label, value] : sample.labels) {
      if (!valid_label_name(label) || label.rfind("__", 0) == 0) {
        return what + ": sample " + quoted(name) + " has an invalid label name " + quoted(label);
      }
      if (std::find(names.begin(), names.end(), label) != names.end()) {
        return what + ": sample " + quoted(name) + " has the label " + quoted(label) + " twice";
      }
      names.push_back(label);
    }
    const auto has_label = [&](std::string_view label) {
      return std::find(names.begin(), names.end(), label) != names.end();
    };
    if (*suffix == "_bucket" && !has_label("le")) {
      return what + ": bucket sample " + quoted(name) + " has no 'le' label";
    }
    if (family.type() == FamilyType::stateset && !has_label(family.name())) {
      return what + ": sample " + quoted(name) + " has no label " + quoted(family.name()) +
             " naming its state";
    }
  }
  return {};
}

void write_metric_family(ExpositionWriter& writer, const MetricFamily& family) {
  const std::string& name = family.name();
  const bool created = writer.created_series();
  const auto is_sample = [&](const Sample& sample, std::string_view suffix) {
    return sample.name.size() == name.size() + suffix.size() &&
           std::string_view(sample.name).substr(name.size()) == suffix;
  };
  std::vector<LabelView> sorted;
  const auto write_sample = [&](const Sample& sample) {
    sort_labels(sample, sorted);
    writer.labelled_sample(sample.name, sorted.data(), sorted.size(), sample.value);
  };
  if (writer.openmetrics()) {
    writer.header(name, family.documentation(), type_word(family.type()), family.unit());
    for (const Sample& sample : family.samples()) {
      if (!created && is_sample(sample, "_created")) continue;
      write_sample(sample);
    }
    return;
  }
  // Text 0.0.4, as prometheus_client munges OpenMetrics families into it.
  std::string header_name = name;
  std::string_view type = type_word(family.type());
  switch (family.type()) {
    case FamilyType::counter:
      header_name += "_total";
      break;
    case FamilyType::info:
      header_name += "_info";
      type = "gauge";
      break;
    case FamilyType::stateset:
      type = "gauge";
      break;
    case FamilyType::gaugehistogram:
      type = "histogram";
      break;
    case FamilyType::unknown:
      type = "untyped";
      break;
    default:
      break;
  }
  writer.header(header_name, family.documentation(), type, family.unit());
  // _created, _gcount and _gsum samples go to gauge families of their own after the family,
  // in that (sorted) order.
  static constexpr std::string_view kMoved[] = {"_created", "_gcount", "_gsum"};
  const auto moved = [&](const Sample& sample) {
    return std::any_of(std::begin(kMoved), std::end(kMoved),
                       [&](std::string_view suffix) { return is_sample(sample, suffix); });
  };
  for (const Sample& sample : family.samples()) {
    if (!moved(sample)) write_sample(sample);
  }
  for (std::string_view suffix : kMoved) {
    if (suffix == "_created" && !created) continue;
    bool headed = false;
    for (const Sample& sample : family.samples()) {
      if (!is_sample(sample, suffix)) continue;
      if (!headed) {
        writer.header(name + std::string(suffix), family.documentation(), "gauge", {});
        headed = true;
      }
      write_sample(sample);
    }
  }
}

CollectorFamily::CollectorFamily(std::shared_ptr<Collector> collector)
    : FamilyBase(FamilyIdentity{{}, {}, {}, {}, MetricType::custom, {}, 0}),
      collector_(std::move(collector)) {
  if (!collector_) throw Error("register_collector: the collector is null");
  for (const MetricFamily& family : collector_->describe()) append_claimed(family, claimed_);
}

CollectorFamily::~CollectorFamily() { destroy_children(); }

ChildHeader* CollectorFamily::make_child(const std::string_view* /*values*/) {
  throw Error("a collector has no children");  // never called: nothing asks it for labels()
}

void CollectorFamily::destroy_child(ChildHeader* /*child*/) noexcept {}

void CollectorFamily::report(const std::string& problem) const noexcept {
  if (reported_.exchange(true, std::memory_order_relaxed)) return;
  std::fprintf(stderr,
               "bentoml-metrics: a collector's output was left out of the scrape: %s "
               "(reported once per collector)\n",
               problem.c_str());
}

void CollectorFamily::write(ExpositionWriter& writer) const {
  // The process collector writes its lines itself: a scrape then allocates nothing but text.
  if (const auto* process = dynamic_cast<const ProcessCollector*>(collector_.get())) {
    process->write_into(writer);
    return;
  }
  std::vector<MetricFamily> families;
  try {
    families = collector_->collect();
    for (const MetricFamily& family : families) {
      std::string problem = family_problem(family);
      if (!problem.empty()) {
        report(problem);
        return;
      }
    }
  } catch (const std::exception& error) {
    report(std::string("collect() threw: ") + error.what());
    return;
  } catch (...) {
    report("collect() threw an exception that is not a std::exception");
    return;
  }
  for (const MetricFamily& family : families) write_metric_family(writer, family);
}

}  // namespace bentoml::metrics::detail
