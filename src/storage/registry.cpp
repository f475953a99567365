// Registry: an append-only list of families; see bentoml/metrics/registry.hpp.
#include "bentoml/metrics/registry.hpp"

#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/detail/histogram_family.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/process_collector.hpp"
#include "collector/collector_family.hpp"
#include "exposition/number_format.hpp"
#include "storage/fork_safety.hpp"
#include "storage/names.hpp"

namespace bentoml::metrics {
namespace {

/// The sample names a family claims, as prometheus_client counts them for duplicates.
std::vector<std::string> claimed_names(const detail::FamilyBase& family) {
  const std::string& name = family.name();
  switch (family.identity().type) {
    case detail::MetricType::counter:
      return {name, name + "_total", name + "_created"};
    case detail::MetricType::gauge:
      return {name};
    case detail::MetricType::histogram:
      return {name, name + "_bucket", name + "_count", name + "_sum", name + "_created"};
    case detail::MetricType::summary:
      return {name, name + "_count", name + "_sum", name + "_created"};
    case detail::MetricType::info:
      return {name, name + "_info"};
    case detail::MetricType::stateset:
      return {name};
    case detail::MetricType::custom:
      return static_cast<const detail::CollectorFamily&>(family).claimed_names();
  }
  return {name};
}

/// A histogram's finite bucket bounds; null for the other types (a summary has none to show).
const std::vector<double>* bounds_of(const detail::FamilyBase& family) {
  if (family.identity().type != detail::MetricType::histogram) return nullptr;
  const auto* histogram = dynamic_cast<const detail::HistogramFamily*>(&family);
  return histogram != nullptr ? &histogram->finite_bounds() : nullptr;
}

/// A summary's quantile settings; null for a summary without quantiles and the other types.
const detail::QuantileSettings* quantiles_of(const detail::FamilyBase& family) {
  if (family.identity().type != detail::MetricType::summary) return nullptr;
  const auto* summary = dynamic_cast<const detail::HistogramFamily*>(&family);
  return summary != nullptr ? summary->quantile_settings() : nullptr;
}

bool same_quantiles(const detail::QuantileSettings* a, const detail::QuantileSettings* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if (a->targets.size() != b->targets.size() || a->max_age_nanoseconds != b->max_age_nanoseconds ||
      a->age_buckets != b->age_buckets || a->clock != b->clock) {
    return false;
  }
  for (std::size_t i = 0; i < a->targets.size(); ++i) {
    if (a->targets[i].quantile != b->targets[i].quantile ||
        a->targets[i].error != b->targets[i].error) {
      return false;
    }
  }
  return true;
}

/// One definition as the user wrote it, after name joining: `histogram 'h' (documentation "d",
/// labelnames [a, b], unit "", buckets [0.5, 1.0, +Inf])`.
std::string describe(const detail::FamilyBase& family) {
  const detail::FamilyIdentity& identity = family.identity();
  std::string text = std::string(detail::metric_type_name(identity.type)) + " '" + identity.name +
                     "' (documentation \"" + identity.documentation + "\", labelnames [";
  for (std::size_t i = 0; i < identity.labelnames.size(); ++i) {
    text += (i == 0 ? "" : ", ") + identity.labelnames[i];
  }
  text += "], unit \"" + identity.unit + "\"";
  if (const std::vector<double>* bounds = bounds_of(family)) {
    text += ", buckets [";
    for (double bound : *bounds) {
      detail::append_go_float(text, bound);
      text += ", ";
    }
    text += "+Inf]";
  }
  if (const detail::QuantileSettings* quantiles = quantiles_of(family)) {
    text += ", quantiles [";
    for (std::size_t i = 0; i < quantiles->targets.size(); ++i) {
      text += i == 0 ? "{" : ", {";
      detail::append_go_float(text, quantiles->targets[i].quantile);
      text += ", ";
      detail::append_go_float(text, quantiles->targets[i].error);
      text += "}";
    }
    text += "], max_age " + std::to_string(quantiles->max_age_nanoseconds) + " ns, age_buckets " +
            std::to_string(quantiles->age_buckets);
  }
  return text + ")";
}

/// What differs between two definitions ("documentation, labelnames"); empty when identical.
std::string differences(const detail::FamilyBase& registered, const detail::FamilyBase& wanted) {
  const detail::FamilyIdentity& a = registered.identity();
  const detail::FamilyIdentity& b = wanted.identity();
  std::string text;
  const auto differ = [&text](bool different, const char* what) {
    if (different) text += (text.empty() ? "" : ", ") + std::string(what);
  };
  differ(a.name != b.name, "name");
  differ(a.type != b.type || typeid(registered) != typeid(wanted), "type");
  differ(a.documentation != b.documentation, "documentation");
  differ(a.labelnames != b.labelnames, "labelnames");
  differ(a.unit != b.unit, "unit");
  const std::vector<double>* bounds_a = bounds_of(registered);
  const std::vector<double>* bounds_b = bounds_of(wanted);
  differ(bounds_a != nullptr && bounds_b != nullptr && *bounds_a != *bounds_b, "buckets");
  differ(!same_quantiles(quantiles_of(registered), quantiles_of(wanted)), "quantiles");
  return text;
}

/// Whether `name`, as a user would write it, names `family`: its full name, or for a counter
/// that name followed by `_total` (the name a counter's samples carry).
bool names_family(std::string_view name, const detail::FamilyBase& family) {
  const std::string& own = family.name();
  if (name == own) return true;
  constexpr std::string_view kTotal = "_total";
  return family.identity().type == detail::MetricType::counter &&
         name.size() == own.size() + kTotal.size() && name.substr(0, own.size()) == own &&
         name.substr(own.size()) == kTotal;
}

}  // namespace

Registry::Registry() { detail::track_for_fork(this); }

Registry::Registry(const Options& options) : options_(options) { detail::track_for_fork(this); }

Registry::~Registry() {
  detail::untrack_for_fork(this);
  Node* node = head_.load(std::memory_order_acquire);
  while (node != nullptr) delete std::exchange(node, node->next.load(std::memory_order_relaxed));
}

std::shared_ptr<detail::FamilyBase> Registry::register_family(
    std::shared_ptr<detail::FamilyBase> family) {
  const std::vector<std::string> wanted = claimed_names(*family);
  std::lock_guard<std::mutex> lock(registration_mutex_);
  return register_family_locked(std::move(family), wanted);
}

std::shared_ptr<detail::FamilyBase> Registry::register_family_locked(
    std::shared_ptr<detail::FamilyBase> family, const std::vector<std::string>& wanted) {
  for (const Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
       node = node->next.load(std::memory_order_relaxed)) {
    if (node->unregistered_at.load(std::memory_order_relaxed) != 0) continue;
    for (const std::string& taken : claimed_names(*node->family)) {
      for (const std::string& name : wanted) {
        if (taken != name) continue;
        // Registered families never share a name, so at most one can be identical to `family`.
        const std::string differ = differences(*node->family, *family);
        // A collector's output is its own: two collectors are never the same definition.
        const bool reusable = family->identity().type != detail::MetricType::custom;
        if (differ.empty() && reusable && options_.reuse_identical) return node->family;
        throw Error("metric '" + family->name() + "': duplicate name '" + name +
                    "' in registry (already used by metric '" + node->family->name() + "'): " +
                    (differ.empty()
                         ? "the definitions are identical, but this registry was made with "
                           "Registry::Options::reuse_identical = false"
                         : "the definitions differ in " + differ) +
                    "; registered: " + describe(*node->family) + "; new: " + describe(*family));
      }
    }
  }
  const std::uint64_t version = version_.load(std::memory_order_relaxed) + 1;
  auto* node = new Node{family, version};
  // release: a scrape that reaches the node (acquire) sees the family fully built.
  if (tail_ == nullptr) {
    head_.store(node, std::memory_order_release);
  } else {
    tail_->next.store(node, std::memory_order_release);
  }
  tail_ = node;
  version_.store(version, std::memory_order_release);
  return family;
}

void Registry::register_collector(std::shared_ptr<Collector> collector) {
  const Collector* raw = collector.get();
  auto family = std::make_shared<detail::CollectorFamily>(std::move(collector));
  // The collector's describe() runs before the lock; the check that it is not registered yet
  // and the registration run under one hold of the mutex, so that two threads registering the
  // same collector at once cannot both pass the check.
  const std::vector<std::string> wanted = claimed_names(*family);
  std::lock_guard<std::mutex> lock(registration_mutex_);
  if (raw != nullptr) {
    for (const Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
         node = node->next.load(std::memory_order_relaxed)) {
      if (node->unregistered_at.load(std::memory_order_relaxed) == 0 &&
          node->family->identity().type == detail::MetricType::custom &&
          &static_cast<const detail::CollectorFamily&>(*node->family).collector() == raw) {
        throw Error("register_collector: the collector is already registered");
      }
    }
  }
  register_family_locked(std::move(family), wanted);
}

bool Registry::unregister(const Collector& collector) {
  std::lock_guard<std::mutex> lock(registration_mutex_);
  for (Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
       node = node->next.load(std::memory_order_relaxed)) {
    if (node->unregistered_at.load(std::memory_order_relaxed) == 0 &&
        node->family->identity().type == detail::MetricType::custom &&
        &static_cast<const detail::CollectorFamily&>(*node->family).collector() == &collector) {
      const std::uint64_t version = version_.load(std::memory_order_relaxed) + 1;
      node->unregistered_at.store(version, std::memory_order_relaxed);
      version_.store(version, std::memory_order_release);  // publishes the store above
      return true;
    }
  }
  return false;
}

bool Registry::unregister(std::string_view name) {
  std::lock_guard<std::mutex> lock(registration_mutex_);
  for (Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
       node = node->next.load(std::memory_order_relaxed)) {
    if (node->unregistered_at.load(std::memory_order_relaxed) == 0 &&
        node->family->identity().type != detail::MetricType::custom &&
        names_family(name, *node->family)) {
      const std::uint64_t version = version_.load(std::memory_order_relaxed) + 1;
      node->unregistered_at.store(version, std::memory_order_relaxed);
      version_.store(version, std::memory_order_release);  // publishes the store above
      return true;
    }
  }
  return false;
}

Registry& default_registry() {
  // Never destroyed: metrics in static objects may outlive any other static.
  static Registry* const registry = [] {
    auto* created = new Registry();
    created->register_collector(process_collector());  // as Python's PROCESS_COLLECTOR
    return created;
  }();
  return *registry;
}

}  // namespace bentoml::metrics
