// Internal: aggregating a multiprocess directory at scrape time (prometheus_client's
// MultiProcessCollector, same results, without its cost).
//
// A scrape lists `*.db` (sorted by name), reads each file with pread (never mmap: a file
// truncated under a mapping would raise SIGBUS), first its `used` length, then exactly that many
// bytes: every entry below `used` was complete when `used` was published. A file whose length,
// entries or keys do not parse is left out whole, with one warning until it parses again; a file
// that vanished since the listing (mark_process_dead) is skipped silently.
//
// Speed: Python json-decodes every key of every file at every scrape. Here each distinct key is
// parsed once and cached across scrapes (a key's meaning never changes: it is the series'
// identity), and each file's entries stay resolved (writers only append, and the file is held
// open, so its path naming the same inode means the same file): a warm scrape reads each file
// and adds each value into a dense array, resolving only entries appended since. The cache
// starts afresh when the entries of files gone outnumber the live ones.
//
// Rules, as prometheus_client 0.16 (and 0.18+ for the timestamped files): samples sum over
// processes for counters, summaries and histograms; a histogram's buckets are summed per `le`
// (parsed as a number), written cumulatively in order, and its `_count` is the last cumulative
// bucket, so `_count` equals `+Inf` in every scrape whatever the files held; gauges combine per
// their file's mode (the last file read decides a metric's mode): `all`/`liveall` one sample per
// process with a `pid` label, `min`, `max`, `sum` (and live variants) over processes, and
// `mostrecent` the value with the latest timestamp. Output: metrics in order of first
// appearance, each series' samples together (buckets, `_count`, then `_sum`).
#pragma once

#include <memory>
#include <string>

#include "exposition_writer.hpp"

namespace bentoml::metrics::detail {

class Aggregator {
 public:
  explicit Aggregator(std::string directory);
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;
  ~Aggregator();

  /// Reads every file of the directory and writes the aggregate. One call at a time.
  void write(ExpositionWriter& writer);

  [[nodiscard]] const std::string& directory() const noexcept;

  /// Closes the files held open between scrapes (in a fork() child, which must not keep its
  /// parent's descriptors, and hence deleted files, alive).
  void close_files() noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bentoml::metrics::detail
