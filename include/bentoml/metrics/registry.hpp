// metrics::Registry: the set of metrics a scrape exposes.
//
// Constructing a metric registers it (in `Options::registry`, or the default registry); the
// registry keeps the metric alive after the last handle goes away, as Python's does.
// Thread-safety: registering and unregistering take a mutex among themselves only; scrapes walk an
// append-only list of families with acquire loads and never wait, and recording never looks at
// the registry at all. An unregistered family's memory is released when the registry is
// destroyed (a scrape may still be walking it).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

namespace bentoml::metrics {

namespace detail {
class FamilyBase;
}

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  /// Removes the metric named `name` (its full name, e.g. `ns_requests`, without `_total`) from
  /// the exposition; false when no such metric is registered. Handles to it keep working.
  bool unregister(std::string_view name);

  /// Internal: adds a family; throws metrics::Error when one of its names is taken.
  void register_family(std::shared_ptr<detail::FamilyBase> family);

  /// Internal: calls `visit(const detail::FamilyBase&)` for each registered family, in
  /// registration order. Lock-free.
  template <class Visit>
  void for_each_family(Visit&& visit) const {
    for (const Node* node = head_.load(std::memory_order_acquire); node != nullptr;
         node = node->next.load(std::memory_order_acquire)) {
      if (node->registered.load(std::memory_order_acquire)) visit(*node->family);
    }
  }

 private:
  struct Node {
    std::shared_ptr<detail::FamilyBase> family;
    std::atomic<bool> registered{true};
    std::atomic<Node*> next{nullptr};
  };

  std::atomic<Node*> head_{nullptr};
  Node* tail_ = nullptr;
  std::mutex registration_mutex_;
};

/// The process-wide registry that metrics join by default. Never destroyed.
Registry& default_registry();

}  // namespace bentoml::metrics
