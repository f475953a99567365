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
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace bentoml::metrics {

class Collector;

namespace detail {
class FamilyBase;
struct RegistryAccess;
}  // namespace detail

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

  /// Adds a custom collector (Python's `registry.register(collector)`); its families are
  /// collected at every scrape. Throws metrics::Error when a name from its `describe()` is taken.
  void register_collector(std::shared_ptr<Collector> collector);
  /// Removes a collector (Python's `registry.unregister(collector)`); false when not registered.
  bool unregister(const Collector& collector);

 private:
  /// The library's own uses (src/storage/registry_access.hpp): registering a metric's family,
  /// walking the families at a scrape, holding the mutex across fork().
  friend struct detail::RegistryAccess;

  /// Adds `family` and returns it, or returns the registered family identical to it
  /// (Options::reuse_identical); throws metrics::Error when one of its names is taken otherwise.
  std::shared_ptr<detail::FamilyBase> register_family(std::shared_ptr<detail::FamilyBase> family);

  struct Node {
    std::shared_ptr<detail::FamilyBase> family;
    std::uint64_t registered_at = 0;                ///< the version that registered it
    std::atomic<std::uint64_t> unregistered_at{0};  ///< 0 while registered
    std::atomic<Node*> next{nullptr};
  };

  /// register_family with the mutex held; `wanted` are the names `family` claims.
  std::shared_ptr<detail::FamilyBase> register_family_locked(
      std::shared_ptr<detail::FamilyBase> family, const std::vector<std::string>& wanted);

  /// Counts registrations and unregistrations (under the mutex); published with release after
  /// the change it counts, so a scrape that reads version v sees every change up to v.
  std::atomic<std::uint64_t> version_{0};
  std::atomic<Node*> head_{nullptr};
  Node* tail_ = nullptr;
  std::mutex registration_mutex_;

  const Options options_{};
};

/// The process-wide registry that metrics join by default. Never destroyed.
Registry& default_registry();

}  // namespace bentoml::metrics
