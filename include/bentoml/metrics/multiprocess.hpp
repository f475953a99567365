// Multiprocess mode: many processes record, one /metrics serves them all (prometheus_client's
// multiprocess mode, with its very files).
//
// Each process records into memory-mapped files of its own in a shared directory
// (`counter_<pid>.db`, `histogram_<pid>.db`, `summary_<pid>.db`, `gauge_<mode>_<pid>.db`, in
// prometheus_client 0.16's format byte for byte), and the process that answers /metrics
// aggregates every file of the directory at each scrape (MultiProcessCollector). Python workers
// and C++ processes can share one directory. It is switched on by PROMETHEUS_MULTIPROC_DIR, read
// once when the library is loaded (as Python reads it at import), or by enable(): metrics created
// while it is on keep their values in the files; a child process after fork() gets files of its
// own under its own pid. Exemplars are dropped and `_created` is not aggregated, as in Python;
// Gauge::set_function throws.
// Thread-safety: every function here may be called from any thread. Recording stays lock-free and
// allocation-free: a counter inc or gauge inc/dec is a compare-and-swap loop on the mapped double,
// a gauge set one store, an observation two CAS loops. Creating a child appends its entries to the
// file under a process-wide mutex (and may grow the file).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics::multiprocess {

/// The two layouts of prometheus_client's files. Nothing in a file says which it has; the
/// aggregator tells them apart by their entries and reads both.
enum class FileLayout {
  /// prometheus_client 0.16 and 0.17 (Debian 12's python3-prometheus-client): each entry holds
  /// one 8-byte value. Python 0.18 and later cannot read it.
  value_only,
  /// prometheus_client 0.18 and later: each entry holds a value and a timestamp. Python 0.17
  /// and earlier cannot read it.
  timestamped,
};

struct Options {
  /// The shared directory; it must exist and be writable. Empty: PROMETHEUS_MULTIPROC_DIR (or
  /// the older lower-case prometheus_multiproc_dir) as it was when the library was loaded.
  std::string directory;
  /// The layout of files this process creates (a file it continues keeps its own).
  FileLayout layout = FileLayout::value_only;
};

/// Metrics created from now on record into `options.directory`. Throws metrics::Error when the
/// directory is missing or not writable. Metrics created before keep where they record.
void enable(const Options& options = {});
/// Metrics created from now on keep their values in process memory again.
void disable() noexcept;
/// Whether metrics created now go to the files.
[[nodiscard]] bool enabled() noexcept;
/// The directory new metrics record into; empty when disabled.
[[nodiscard]] std::string directory();

/// Python's mark_process_dead: removes the files of `pid`'s live gauges (`liveall`, `livemin`,
/// `livemax`, `livesum`, `livemostrecent`) from `directory` (empty: directory(), else the
/// environment's), so that they leave the aggregate. Call it when a worker exits.
void mark_process_dead(long pid, const std::string& directory = {});

/// Python's MultiProcessCollector: registered in `registry`, it contributes at each scrape the
/// aggregate of every `*.db` file in the directory. Counters, histograms and summaries are
/// summed over processes; gauges combine by their multiprocess mode (`all`: one series per
/// process with a `pid` label). A file that is truncated or corrupt is left out with one warning
/// (set_warning_handler); a scrape never fails because of a file. Scrapes of one collector run
/// one at a time; the registry keeps the collector alive.
class MultiProcessCollector {
 public:
  /// Throws metrics::Error when `directory` (empty: directory(), else PROMETHEUS_MULTIPROC_DIR as
  /// read at load) is not a directory.
  explicit MultiProcessCollector(Registry& registry, const std::string& directory = {});
  /// The directory it aggregates.
  [[nodiscard]] const std::string& directory() const noexcept { return directory_; }

 private:
  std::string directory_;
};

/// Appends the aggregate of `directory`'s files to `out` in `format` (OpenMetrics: ending with
/// `# EOF`), without a registry or a cache: what one scrape of a fresh MultiProcessCollector
/// writes.
void write_aggregate(std::string& out, const std::string& directory,
                     Format format = Format::text_0_0_4);

/// Where warnings go: a file that cannot be read is reported once (until it can be read again),
/// as is a fork() child that cannot create its files. Default: one line on stderr. The handler
/// may be called from a scraping thread; an empty function restores the default.
void set_warning_handler(std::function<void(std::string_view message)> handler);

}  // namespace bentoml::metrics::multiprocess
