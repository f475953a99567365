// Internal: what the aggregator knows about a directory's keys, kept across scrapes: the metrics,
// their series, the keys that name them, and one accumulator per summed sample. Not thread-safe
// (the aggregator's owner serializes scrapes).
//
// A key's meaning never changes (it is the series' identity), so each distinct key is parsed
// once. A counter, summary or histogram entry adds into a dense array of accumulators (its key
// holds the index): a scrape's inner loop is a sequential walk with no pointer chasing. Gauges
// keep one sample per process instead, combined at output by their mode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "exposition_writer.hpp"
#include "multiprocess/json_key.hpp"

namespace bentoml::metrics::detail {

enum class FileKind { counter, gauge, histogram, summary };

/// What a file's name says, read as Python reads it: `name.split('_')`, the kind first; a
/// gauge's mode second (an unknown one aggregates as `all`, as in Python) and its pid third,
/// minus ".db". False when the kind is none of the four.
struct FileName {
  FileKind kind = FileKind::counter;
  MultiprocessMode mode = MultiprocessMode::all;
  std::string pid;
};
bool parse_file_name(std::string_view name, FileName& out);

/// An open-addressing set of items with `identity` (a string) and its `hash`; each slot keeps
/// the hash too, so a probe touches an item only when the hashes match.
template <class Item>
class Table {
 public:
  [[nodiscard]] Item* find(std::string_view identity, std::uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask; slots_[at].item != nullptr; at = (at + 1) & mask) {
      if (slots_[at].hash == hash && slots_[at].item->identity == identity) {
        return slots_[at].item;
      }
    }
    return nullptr;
  }
  void insert(Item* item) {
    if ((size_ + 1) * 2 > slots_.size()) {
      std::vector<Slot> old(slots_.empty() ? 64 : slots_.size() * 2);
      old.swap(slots_);
      size_ = 0;
      for (const Slot& slot : old) {
        if (slot.item != nullptr) place(slot.item);
      }
    }
    place(item);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    Item* item = nullptr;
  };
  void place(Item* item) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = item->hash & mask;
    while (slots_[at].item != nullptr) at = (at + 1) & mask;
    slots_[at] = {item->hash, item};
    ++size_;
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

struct Metric;

/// One label set of a metric (without a bucket's `le` or a gauge's `pid`).
struct Series {
  struct Sample {
    std::string name;           ///< the sample's name (`x_total`, `x_sum`, a gauge's `x`)
    std::uint32_t accumulator;  ///< counters, summaries, histograms
  };
  struct Bucket {
    double bound;
    std::string le;  ///< floatToGoString(bound), as Python writes it back
    std::uint32_t accumulator;
  };
  /// A gauge's value in one file, combined at output by the metric's mode.
  struct GaugeValue {
    std::uint32_t sample;
    std::uint32_t file;  ///< index into the scrape's pids
    double value;
    double timestamp;
  };

  std::string identity;  ///< metric name, then each label's length-prefixed name and value
  std::uint64_t hash = 0;
  Metric* metric = nullptr;
  /// The labels rendered and sorted, split where the metric's extra label (`le`, `pid`) sorts.
  std::string before;
  std::string after;
  std::vector<Sample> samples;
  std::vector<Bucket> buckets;
  std::vector<std::uint32_t> bucket_order;  ///< indexes of `buckets` by bound
  std::vector<GaugeValue> gauge_values;     ///< this scrape's
};

struct Metric {
  std::string identity;  ///< the metric's name
  std::uint64_t hash = 0;
  FileKind kind = FileKind::counter;
  MultiprocessMode mode = MultiprocessMode::all;  ///< of the last gauge file read
  FamilyIdentity family;                          ///< name and help, for the header
  std::vector<std::unique_ptr<Series>> series;    ///< in order of first appearance
};

/// A distinct key: where its entries' values go.
struct Key {
  static constexpr std::uint32_t kGauge = 0xFFFFFFFF;
  std::string identity;  ///< the key's bytes
  std::uint64_t hash = 0;
  Series* series = nullptr;
  std::uint32_t accumulator = kGauge;  ///< kGauge: a gauge's, by `sample`
  std::uint32_t sample = 0;
};

class AggregateModel {
 public:
  /// The key for `bytes`, found or parsed (a file of `kind` holds it); null when the key is not
  /// prometheus_client's JSON or a bucket's `le` is not a number.
  Key* resolve(std::string_view bytes, FileKind kind);

  /// Forgets this scrape's values: accumulators to zero, gauge values dropped.
  void start_scrape();
  void add(std::uint32_t accumulator, double value) noexcept {
    values_[accumulator] += value;
    present_[accumulator] = 1;
  }

  /// Writes every metric with a value in this scrape. `pids` are the gauge files' pids.
  void write(ExpositionWriter& writer, const std::vector<std::string>& pids) const;

  [[nodiscard]] std::size_t keys() const noexcept { return keys_.size(); }

 private:
  std::uint32_t new_accumulator();
  [[nodiscard]] bool present(std::uint32_t accumulator) const noexcept {
    return present_[accumulator] != 0;
  }
  void write_gauge(ExpositionWriter& writer, const Series& series,
                   const std::vector<std::string>& pids) const;
  void write_summed(ExpositionWriter& writer, const Metric& metric, const Series& series) const;

  std::vector<std::unique_ptr<Metric>> metrics_;  ///< in order of first appearance
  Table<Metric> metric_table_;
  Table<Series> series_table_;
  std::vector<std::unique_ptr<Key>> keys_;
  Table<Key> key_table_;
  std::vector<double> values_;
  std::vector<unsigned char> present_;
  ParsedKey parsed_;
};

}  // namespace bentoml::metrics::detail
