// metrics::ProcessCollector: the process metrics of prometheus_client's ProcessCollector, read
// from /proc at every scrape: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds
// (same names, help texts and meaning; a namespace prefixes them as `<namespace>_process_`).
//
// One is registered in the default registry when that registry is first used, as Python's
// PROCESS_COLLECTOR is; `default_registry().unregister(*process_collector())` removes it, and a
// ProcessCollector can be registered in any registry. Thread-safety: collect() may run in several
// threads at once (it only reads files). Cost: a few small file reads and a directory listing;
// a scrape of a registry that holds it allocates nothing beyond the exposition text (the files
// are read into a fixed buffer and the lines written straight to the text).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bentoml/metrics/collector.hpp"

namespace bentoml::metrics {

namespace detail {
class CollectorFamily;
class ExpositionWriter;
}  // namespace detail

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
  friend class detail::CollectorFamily;  // scrapes call write_into() instead of collect()

  /// What one reading of /proc found.
  struct Reading {
    bool has_stat = false;  ///< the four families from `<pid>/stat`
    double virtual_memory = 0;
    double resident_memory = 0;
    double start_time = 0;
    double cpu_seconds = 0;
    bool has_fds = false;  ///< open_fds and max_fds
    double open_fds = 0;
    double max_fds = 0;
  };
  /// Reads /proc without allocating.
  [[nodiscard]] Reading read() const noexcept;
  /// Writes the families collect() would yield, exactly as a collector's are written, without
  /// allocating beyond the text.
  void write_into(detail::ExpositionWriter& writer) const;

  Options options_;
  std::string prefix_;
  std::string stat_path_;    ///< <proc>/<pid>/stat
  std::string limits_path_;  ///< <proc>/<pid>/limits
  std::string fd_path_;      ///< <proc>/<pid>/fd
  /// The six names: virtual_memory_bytes, resident_memory_bytes, start_time_seconds, the
  /// counter's family name (cpu_seconds) and its sample (cpu_seconds_total), open_fds, max_fds.
  std::string names_[7];
  double boot_time_ = 0;  ///< seconds since the epoch; 0 when /proc is not readable
  double ticks_ = 100;    ///< clock ticks per second
  double page_size_ = 4096;
};

/// The collector in the default registry (Python's PROCESS_COLLECTOR).
std::shared_ptr<ProcessCollector> process_collector();

}  // namespace bentoml::metrics
