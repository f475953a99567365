// The http_scrape workload's two servers: 10,000 counter series exposed by this library's
// Exposer and, in the same process, by prometheus-cpp's Exposer. Prints "ours PORT" and
// "prometheus_cpp PORT", then serves until stdin closes; bench/run points wrk at both.
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "bentoml/metrics.hpp"
#include "bentoml/metrics/http_server.hpp"

namespace metrics = bentoml::metrics;

int main(int argc, char** argv) {
  const int series = argc > 1 ? std::stoi(argv[1]) : 10000;
  metrics::Registry our_registry;
  metrics::Counter counter{{.name = "requests",
                            .documentation = "Requests",
                            .labelnames = {"path", "code"},
                            .registry = &our_registry}};
  auto their_registry = std::make_shared<prometheus::Registry>();
  auto& family =
      prometheus::BuildCounter().Name("requests_total").Help("Requests").Register(*their_registry);
  for (int i = 0; i < series; ++i) {
    const std::string path = "/api/v1/series_" + std::to_string(i);
    counter.labels({path, "200"}).inc(i);
    family.Add({{"path", path}, {"code", "200"}}).Increment(i);
  }
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&our_registry};
  options.threads = 2;
  metrics::Exposer ours{options};
  prometheus::Exposer theirs{"127.0.0.1:0", 2};
  theirs.RegisterCollectable(their_registry);
  std::printf("ours %d\nprometheus_cpp %d\n", ours.port(), theirs.GetListeningPorts().at(0));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
