// Registry: an append-only list of families; see bentoml/metrics/registry.hpp.
#include "bentoml/metrics/registry.hpp"

#include <string>
#include <utility>
#include <vector>

#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/process_collector.hpp"
#include "collector/collector_family.hpp"
#include "storage/fork_safety.hpp"

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

}  // namespace

Registry::Registry() { detail::track_for_fork(this); }

Registry::~Registry() {
  detail::untrack_for_fork(this);
  Node* node = head_.load(std::memory_order_acquire);
  while (node != nullptr) delete std::exchange(node, node->next.load(std::memory_order_relaxed));
}

void Registry::register_family(std::shared_ptr<detail::FamilyBase> family) {
  const std::vector<std::string> wanted = claimed_names(*family);
  std::lock_guard<std::mutex> lock(registration_mutex_);
  for (const Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
       node = node->next.load(std::memory_order_relaxed)) {
    if (node->unregistered_at.load(std::memory_order_relaxed) != 0) continue;
    for (const std::string& taken : claimed_names(*node->family)) {
      for (const std::string& name : wanted) {
        if (taken == name) {
          throw Error("metric '" + family->name() + "': duplicate name '" + name +
                      "' in registry (already used by metric '" + node->family->name() + "')");
        }
      }
    }
  }
  const std::uint64_t version = version_.load(std::memory_order_relaxed) + 1;
  auto* node = new Node{std::move(family), version};
  // release: a scrape that reaches the node (acquire) sees the family fully built.
  if (tail_ == nullptr) {
    head_.store(node, std::memory_order_release);
  } else {
    tail_->next.store(node, std::memory_order_release);
  }
  tail_ = node;
  version_.store(version, std::memory_order_release);
}

void Registry::register_collector(std::shared_ptr<Collector> collector) {
  if (collector != nullptr) {
    std::lock_guard<std::mutex> lock(registration_mutex_);
    for (const Node* node = head_.load(std::memory_order_relaxed); node != nullptr;
         node = node->next.load(std::memory_order_relaxed)) {
      if (node->unregistered_at.load(std::memory_order_relaxed) == 0 &&
          node->family->identity().type == detail::MetricType::custom &&
          &static_cast<const detail::CollectorFamily&>(*node->family).collector() ==
              collector.get()) {
        throw Error("register_collector: the collector is already registered");
      }
    }
  }
  register_family(std::make_shared<detail::CollectorFamily>(std::move(collector)));
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
        node->family->name() == name) {
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
