// Interop with prometheus-cpp, for services moving from it one metric at a time. Target
// bentoml::metrics_prometheus_cpp (the core does not depend on prometheus-cpp); this header is
// the only one that shows prometheus-cpp types.
//
// `as_collectable(registry)` is our registry as a prometheus::Collectable, so that an existing
// prometheus::Exposer serves it and prometheus::Gateway pushes it. `from_collectable(c)` is a
// prometheus-cpp registry (or any Collectable) as our Collector, so that our endpoint serves it.
// Thread-safety: both collect on every call, from any thread, as their sources allow. Cost: a
// conversion per scrape (our side renders text and reads it back into prometheus-cpp's model).
#pragma once

#include <memory>

#include <prometheus/collectable.h>

#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// `registry` as a prometheus-cpp Collectable; `registry` must outlive it.
std::shared_ptr<prometheus::Collectable> as_collectable(const Registry& registry);

/// A prometheus-cpp Collectable (e.g. a prometheus::Registry) as a Collector to register in one
/// of our registries; it keeps `collectable` alive.
std::shared_ptr<Collector> from_collectable(std::shared_ptr<prometheus::Collectable> collectable);

}  // namespace bentoml::metrics
