// metrics::Registry: the set of metrics a scrape exposes.
//
// Constructing a metric registers it (in `Options::registry`, or the default registry); the
// registry keeps the metric alive after the last handle goes away, as Python's does. Constructing
// a metric identical to a registered one (same name, type, documentation, label names, unit and
// buckets) gives a handle to the registered metric, as prometheus-cpp does; any other use of a
// taken name throws metrics::Error naming both definitions. `Options::reuse_identical = false`
// keeps Python's strictness (every second registration of a name throws).
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
  struct Options {
    /// true: constructing a metric identical to a registered one yields a handle to the
    /// registered metric (a function-local metric constructed twice, two translation units
    /// declaring the same metric). false: Python's behaviour, any taken name throws.
    bool reuse_identical = true;
  };

  /// A registry that reuses identical metrics (Options{}).
  Registry();
  explicit Registry(const Options& options);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  /// Removes the metric named `name` from the exposition: its full name (`ns_requests`), for a
  /// counter with or without `_total` (`"hits"` and `"hits_total"` both name counter `hits`).
  /// False when no such metric is registered. Handles to it keep working.
  bool unregister(std::string_view name);

  /// Internal: adds `family` and returns it, or returns the registered family identical to it
  /// (Options::reuse_identical); throws metrics::Error when one of its names is taken otherwise.
  std::shared_ptr<detail::FamilyBase> register_family(std::shared_ptr<detail::FamilyBase> family);

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

  const Options options_{};
};

/// The process-wide registry that metrics join by default. Never destroyed.
Registry& default_registry();

}  // namespace bentoml::metrics
