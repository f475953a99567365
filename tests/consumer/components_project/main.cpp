// Links the optional components found with find_package(... COMPONENTS push prometheus_cpp).
#include <bentoml/metrics.hpp>
#include <bentoml/metrics/push/pushgateway.hpp>

#include <iostream>

#ifdef WITH_PROMETHEUS_CPP
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <bentoml/metrics/prometheus_cpp/interop.hpp>
#endif

namespace metrics = bentoml::metrics;

int main() {
  std::cout << metrics::pushgateway_url("http://127.0.0.1:9091", "batch", {{"instance", "a"}})
            << '\n';
#ifdef WITH_PROMETHEUS_CPP
  metrics::Registry registry;
  metrics::Counter jobs{{.name = "jobs", .documentation = "d", .registry = &registry}};
  jobs.inc();
  std::cout << "interop " << (metrics::as_collectable(registry)->Collect().empty() ? "empty" : "ok")
            << '\n';
#endif
  return 0;
}
