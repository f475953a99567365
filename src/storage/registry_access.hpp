// Internal: what the library does with a Registry beyond its public API (Registry befriends
// RegistryAccess): registering a metric's family, walking the families at a scrape, holding the
// registration mutex across fork().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics::detail {

struct RegistryAccess {
  /// Adds `family` to `registry` and returns it, or the registered family identical to it;
  /// throws metrics::Error when one of its names is taken otherwise.
  static std::shared_ptr<FamilyBase> register_family(Registry& registry,
                                                     std::shared_ptr<FamilyBase> family) {
    return registry.register_family(std::move(family));
  }

  /// Calls `visit(const FamilyBase&)` for each family registered at one moment (the start of
  /// the call), in registration order: a name unregistered and registered again meanwhile is
  /// visited at most once. Lock-free.
  template <class Visit>
  static void for_each_family(const Registry& registry, Visit&& visit) {
    // acquire: every node linked and every unregistration made up to this version is visible.
    const std::uint64_t now = registry.version_.load(std::memory_order_acquire);
    for (const Registry::Node* node = registry.head_.load(std::memory_order_acquire);
         node != nullptr; node = node->next.load(std::memory_order_acquire)) {
      if (node->registered_at > now) break;  // registered after the snapshot, as all that follow
      const std::uint64_t unregistered = node->unregistered_at.load(std::memory_order_relaxed);
      if (unregistered == 0 || unregistered > now) visit(*node->family);
    }
  }

  /// The mutex of registration, which the fork handlers hold across fork().
  static std::mutex& registration_mutex(Registry& registry) noexcept {
    return registry.registration_mutex_;
  }
};

}  // namespace bentoml::metrics::detail
