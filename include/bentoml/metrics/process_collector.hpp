// metrics::ProcessCollector: the process metrics of prometheus_client's ProcessCollector, read
// from /proc at every scrape: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds
// (same names, help texts and meaning; a namespace prefixes them as `<namespace>_process_`).
//
// One is registered in the default registry when that registry is first used, as Python's
// PROCESS_COLLECTOR is; `default_registry().unregister(*process_collector())` removes it, and a
// ProcessCollector can be registered in any registry. Thread-safety: collect() may run in several
// threads at once (it only reads files). Cost: a few small file reads and a directory listing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/collector.hpp"

namespace bentoml::metrics {

class ProcessCollector final : public Collector {
 public:
  struct Options {
    std::string namespace_{};    ///< prefix: `<namespace>_process_...`
    std::string pid = "self";    ///< the process under `proc` (Python's `pid`)
    std::string proc = "/proc";  ///< where procfs is mounted (tests point it elsewhere)
  };

  ProcessCollector() : ProcessCollector(Options{}) {}
  /// Reads the boot time once; without a readable `<proc>/stat` the collector yields nothing,
  /// as in prometheus_client.
  explicit ProcessCollector(Options options);

  [[nodiscard]] std::vector<MetricFamily> collect() const override;
  /// The six families, without samples: their names are claimed at registration.
  [[nodiscard]] std::vector<MetricFamily> describe() const override;

 private:
  Options options_;
  std::string prefix_;
  double boot_time_ = 0;  ///< seconds since the epoch; 0 when /proc is not readable
  double ticks_ = 100;    ///< clock ticks per second
  double page_size_ = 4096;
};

/// The collector in the default registry (Python's PROCESS_COLLECTOR).
std::shared_ptr<ProcessCollector> process_collector();

}  // namespace bentoml::metrics
