// Aggregating a multiprocess directory at scrape time; see aggregator.hpp for the rules.
#include "multiprocess/aggregator.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bentoml/metrics/detail/label_hash.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "multiprocess/file_format.hpp"
#include "multiprocess/json_key.hpp"
#include "multiprocess/store.hpp"
#include "number_format.hpp"

namespace bentoml::metrics::detail {
namespace {

using multiprocess::FileLayout;

std::uint64_t hash_of(std::string_view text) { return hash_value(0x9E3779B97F4A7C15ULL, text); }

/// An open-addressing set of pointers to items with `identity` (a string) and its `hash`.
template <class Item>
class Table {
 public:
  [[nodiscard]] Item* find(std::string_view identity, std::uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask; slots_[at] != nullptr; at = (at + 1) & mask) {
      Item* item = slots_[at];
      if (item->hash == hash && item->identity == identity) return item;
    }
    return nullptr;
  }
  void insert(Item* item) {
    if ((size_ + 1) * 2 > slots_.size()) {
      std::vector<Item*> old(slots_.empty() ? 64 : slots_.size() * 2, nullptr);
      old.swap(slots_);
      size_ = 0;
      for (Item* existing : old) {
        if (existing != nullptr) place(existing);
      }
    }
    place(item);
  }
  void clear() {
    slots_.clear();
    size_ = 0;
  }

 private:
  void place(Item* item) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = item->hash & mask;
    while (slots_[at] != nullptr) at = (at + 1) & mask;
    slots_[at] = item;
    ++size_;
  }
  std::vector<Item*> slots_;
  std::size_t size_ = 0;
};

enum class Kind { counter, gauge, histogram, summary };

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::counter:
      return "counter";
    case Kind::gauge:
      return "gauge";
    case Kind::histogram:
      return "histogram";
    case Kind::summary:
      return "summary";
  }
  return "untyped";
}

/// What a file's name says, read as Python does: `name.split('_')`, the kind first; a gauge's
/// mode second and its pid third, minus ".db".
struct FileName {
  Kind kind = Kind::counter;
  MultiprocessMode mode = MultiprocessMode::all;
  std::string pid;
};

bool parse_file_name(std::string_view name, FileName& out) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = name.find('_', start);
    parts.push_back(name.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts[0] == "counter") {
    out.kind = Kind::counter;
  } else if (parts[0] == "histogram") {
    out.kind = Kind::histogram;
  } else if (parts[0] == "summary") {
    out.kind = Kind::summary;
  } else if (parts[0] == "gauge" && parts.size() >= 3) {
    out.kind = Kind::gauge;
    out.mode = MultiprocessMode::all;  // an unknown mode aggregates as `all`, as in Python
    for (int mode = 0; mode <= static_cast<int>(MultiprocessMode::livemostrecent); ++mode) {
      if (parts[1] == multiprocess_mode_name(static_cast<MultiprocessMode>(mode))) {
        out.mode = static_cast<MultiprocessMode>(mode);
      }
    }
    out.pid = std::string(parts[2].substr(0, parts[2].size() >= 3 ? parts[2].size() - 3 : 0));
  } else {
    return false;
  }
  return true;
}

/// One plain sample of a series (`_total`, `_sum`, a gauge's value...), by sample name.
struct Slot {
  std::string name;
  double value = 0;
  bool present = false;  ///< some file had it in this scrape
};

/// One bucket of a histogram series, by its bound (Python's float(le)).
struct Bucket {
  double bound;
  std::string le;  ///< floatToGoString(bound), as Python writes it back
  double value = 0;
  bool present = false;
};

/// One gauge value read from one file, combined at output by the metric's mode.
struct GaugeSample {
  std::uint32_t slot;
  std::uint32_t file;  ///< index into the scrape's pids
  double value;
  double timestamp;
};

struct Metric;

struct Series {
  std::string identity;  ///< metric name, then each label's length-prefixed name and value
  std::uint64_t hash = 0;
  Metric* metric = nullptr;
  /// The labels rendered, sorted, split where the metric's extra label (`le` of a histogram's
  /// buckets, `pid` of a gauge's processes) sorts.
  std::string before;
  std::string after;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::vector<std::uint32_t> bucket_order;  ///< indexes of `buckets` by bound
  std::vector<GaugeSample> gauge_samples;
  std::uint64_t seen = 0;
  bool sampled = false;  ///< has a value in this scrape
};

struct Metric {
  std::string identity;  ///< the metric's name
  std::uint64_t hash = 0;
  Kind kind = Kind::counter;
  MultiprocessMode mode = MultiprocessMode::all;
  FamilyIdentity family;  ///< name and help, for the header
  std::vector<std::unique_ptr<Series>> series;  ///< in order of first appearance
  std::uint64_t seen = 0;
  bool sampled = false;
};

struct Key {
  std::string identity;  ///< the key's bytes
  std::uint64_t hash = 0;
  Series* series = nullptr;
  std::uint32_t index = 0;  ///< of a slot, or of a bucket when `bucket`
  bool bucket = false;
  std::uint64_t seen = 0;
};

/// A file's entries resolved to keys, applied only once the whole file has parsed.
struct Resolved {
  Key* key;
  std::uint32_t value_offset;
};

std::string series_identity(std::string_view metric, const std::vector<KeyLabel>& labels) {
  std::string identity(metric);
  for (const KeyLabel& label : labels) {
    identity += '\0';
    identity += std::to_string(label.name.size());
    identity += ':';
    identity += label.name;
    identity += std::to_string(label.value.size());
    identity += ':';
    identity += label.value;
  }
  return identity;
}

/// Python's float() of a bucket's `le` text; false when it is not a number.
bool parse_bound(const std::string& text, double& bound) {
  std::string trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.pop_back();
  }
  const char* begin = trimmed.c_str();
  while (std::isspace(static_cast<unsigned char>(*begin))) ++begin;
  if (*begin == '\0') return false;
  char* end = nullptr;
  bound = std::strtod(begin, &end);
  return end != nullptr && *end == '\0';
}

}  // namespace

struct Aggregator::State {
  std::string directory;
  std::uint64_t scrape = 0;
  std::vector<std::unique_ptr<Metric>> metrics;  ///< in order of first appearance
  Table<Metric> metric_table;
  Table<Series> series_table;
  std::vector<std::unique_ptr<Key>> keys;
  Table<Key> key_table;
  std::unordered_set<std::string> warned;  ///< files reported as unreadable, until readable
  // Per scrape, kept for their capacity:
  std::string content;
  std::vector<std::string> pids;
  std::vector<Resolved> resolved;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  ParsedKey parsed;

  void warn_once(const std::string& file, const std::string& reason) {
    if (warned.insert(file).second) {
      multiprocess_warning("bentoml-metrics: multiprocess file " + directory + "/" + file +
                           " left out of the aggregate: " + reason);
    }
  }

  Key* key_for(std::string_view bytes, Kind kind);
  bool read_file(const std::string& name, const FileName& file_name);
  void apply(const FileName& file_name, FileLayout layout);
  void write(ExpositionWriter& writer);
  void write_gauge(ExpositionWriter& writer, const Metric& metric, const Series& series);
  void compact();
};

Key* Aggregator::State::key_for(std::string_view bytes, Kind kind) {
  const std::uint64_t hash = hash_of(bytes);
  if (Key* key = key_table.find(bytes, hash)) return key;
  if (!parse_key(bytes, parsed)) return nullptr;
  Metric* metric = metric_table.find(parsed.metric, hash_of(parsed.metric));
  if (metric == nullptr) {
    auto fresh = std::make_unique<Metric>();
    fresh->identity = parsed.metric;
    fresh->hash = hash_of(parsed.metric);
    fresh->kind = kind;
    fresh->family.name = parsed.metric;
    fresh->family.documentation = parsed.help;
    metric = fresh.get();
    metric_table.insert(metric);
    metrics.push_back(std::move(fresh));
  }
  // The series is the labels without the extra one: a histogram bucket's `le` (which picks the
  // bucket) or a gauge's `pid` (Python drops it, or overrides it with the file's).
  const std::string_view extra = metric->kind == Kind::histogram ? "le"
                                 : metric->kind == Kind::gauge   ? "pid"
                                                                 : "";
  const std::string* le = nullptr;
  std::vector<KeyLabel> labels;
  labels.reserve(parsed.labels.size());
  for (const KeyLabel& label : parsed.labels) {
    if (!extra.empty() && label.name == extra) {
      if (metric->kind == Kind::histogram) le = &label.value;
      continue;
    }
    labels.push_back(label);
  }
  double bound = 0;
  if (le != nullptr && !parse_bound(*le, bound)) return nullptr;
  std::string identity = series_identity(parsed.metric, labels);
  const std::uint64_t series_hash = hash_of(identity);
  Series* series = series_table.find(identity, series_hash);
  if (series == nullptr) {
    auto fresh = std::make_unique<Series>();
    fresh->identity = std::move(identity);
    fresh->hash = series_hash;
    fresh->metric = metric;
    for (const KeyLabel& label : labels) {
      append_rendered_label(!extra.empty() && label.name > extra ? fresh->after : fresh->before,
                            label.name, label.value);
    }
    series = fresh.get();
    series_table.insert(series);
    metric->series.push_back(std::move(fresh));
  }
  auto key = std::make_unique<Key>();
  key->identity = std::string(bytes);
  key->hash = hash;
  key->series = series;
  if (le != nullptr) {
    key->bucket = true;
    std::size_t index = 0;
    while (index < series->buckets.size() && !(series->buckets[index].bound == bound)) ++index;
    if (index == series->buckets.size()) {
      Bucket fresh{bound, {}};
      append_go_float(fresh.le, bound);
      series->buckets.push_back(std::move(fresh));
      series->bucket_order.push_back(static_cast<std::uint32_t>(index));
      std::stable_sort(series->bucket_order.begin(), series->bucket_order.end(),
                       [series](std::uint32_t a, std::uint32_t b) {
                         return series->buckets[a].bound < series->buckets[b].bound;
                       });
    }
    key->index = static_cast<std::uint32_t>(index);
  } else {
    std::size_t index = 0;
    while (index < series->slots.size() && series->slots[index].name != parsed.sample) ++index;
    if (index == series->slots.size()) series->slots.push_back(Slot{parsed.sample});
    key->index = static_cast<std::uint32_t>(index);
  }
  Key* result = key.get();
  key_table.insert(result);
  keys.push_back(std::move(key));
  return result;
}

bool Aggregator::State::read_file(const std::string& name, const FileName& file_name) {
  const std::string path = directory + "/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) warn_once(name, std::strerror(errno));
    return false;  // ENOENT: removed since the listing (mark_process_dead), not a fault
  }
  // `used` first, with a read of its own: every entry below it was complete when it was stored.
  char header[kHeaderBytes];
  const ssize_t got = ::pread(fd, header, sizeof header, 0);
  std::uint32_t used = got == static_cast<ssize_t>(sizeof header) ? load_u32(header) : 0;
  bool fine = got == 0 || got == static_cast<ssize_t>(sizeof header);  // 0: being created
  if (fine && used > kHeaderBytes) {
    content.resize(used);
    std::size_t done = 0;
    while (done < used) {
      const ssize_t part = ::pread(fd, content.data() + done, used - done,
                                   static_cast<off_t>(done));
      if (part < 0 && errno == EINTR) continue;
      if (part <= 0) break;
      done += static_cast<std::size_t>(part);
    }
    if (done < used) {
      ::close(fd);
      warn_once(name, "truncated (" + std::to_string(done) + " of the " + std::to_string(used) +
                          " bytes its header announces)");
      return false;
    }
  } else if (fine && used != 0 && used < kHeaderBytes) {
    fine = false;
  }
  ::close(fd);
  if (!fine) {
    warn_once(name, "corrupt header");
    return false;
  }
  if (used <= kHeaderBytes) {
    warned.erase(name);
    return true;  // no entries yet
  }
  FileLayout layout = FileLayout::value_only;
  if (!detect_layout(content.data(), used, FileLayout::value_only, layout)) {
    warn_once(name, "corrupt entries (neither prometheus_client layout fits)");
    return false;
  }
  resolved.clear();
  bool keys_parse = true;
  walk_entries(content.data(), used, layout, [&](const FileEntry& entry) {
    if (!keys_parse) return;
    Key* key = key_for(entry.key, file_name.kind);
    if (key == nullptr) {
      keys_parse = false;
      return;
    }
    resolved.push_back({key, entry.value_offset});
  });
  if (!keys_parse) {
    warn_once(name, "a key is not prometheus_client's JSON");
    return false;
  }
  warned.erase(name);
  apply(file_name, layout);
  return true;
}

void Aggregator::State::apply(const FileName& file_name, FileLayout layout) {
  const auto file = static_cast<std::uint32_t>(pids.size());
  if (file_name.kind == Kind::gauge) pids.push_back(file_name.pid);
  const bool timestamped = layout == FileLayout::timestamped;
  for (const Resolved& entry : resolved) {
    Key& key = *entry.key;
    Series& series = *key.series;
    Metric& metric = *series.metric;
    key.seen = series.seen = metric.seen = scrape;
    if (metric.kind != file_name.kind) continue;  // the same name in files of another kind
    const double value = load_f64(content.data() + entry.value_offset);
    series.sampled = metric.sampled = true;
    if (key.bucket) {
      Bucket& bucket = series.buckets[key.index];
      bucket.value += value;
      bucket.present = true;
    } else if (metric.kind == Kind::gauge) {
      metric.mode = file_name.mode;  // the last file decides, as Python's reader
      const double timestamp = timestamped ? load_f64(content.data() + entry.value_offset + 8) : 0;
      series.gauge_samples.push_back({key.index, file, value, timestamp});
    } else {
      Slot& slot = series.slots[key.index];
      slot.value += value;
      slot.present = true;
    }
  }
}

void Aggregator::State::write_gauge(ExpositionWriter& writer, const Metric& metric,
                                    const Series& series) {
  const MultiprocessMode mode = metric.mode;
  if (mode == MultiprocessMode::all || mode == MultiprocessMode::liveall) {
    // One sample per process. A process with two files holding one gauge (two modes) keeps its
    // last value in the place of its first, as a Python dict does; rare, so found by hash first.
    const std::vector<GaugeSample>& samples = series.gauge_samples;
    const auto identity = [&](const GaugeSample& sample) {
      return std::to_string(sample.slot) + '\0' + pids[sample.file];
    };
    order.clear();
    for (std::uint32_t i = 0; i < samples.size(); ++i) {
      order.emplace_back(hash_value(samples[i].slot, pids[samples[i].file]), i);
    }
    std::sort(order.begin(), order.end());
    bool repeated = false;
    for (std::size_t i = 1; i < order.size() && !repeated; ++i) {
      repeated = order[i].first == order[i - 1].first;
    }
    std::unordered_map<std::string, std::size_t> last;
    std::unordered_set<std::string> written;
    if (repeated) {
      for (std::size_t i = 0; i < samples.size(); ++i) last[identity(samples[i])] = i;
    }
    for (const GaugeSample& sample : samples) {
      double value = sample.value;
      if (repeated) {
        const std::string one = identity(sample);
        if (!written.insert(one).second) continue;
        value = samples[last[one]].value;
      }
      writer.rendered_sample(series.slots[sample.slot].name, series.before, "pid",
                             pids[sample.file], series.after, value);
    }
    return;
  }
  for (std::uint32_t slot = 0; slot < series.slots.size(); ++slot) {
    bool found = false;
    double value = 0;
    double latest = 0;
    for (const GaugeSample& sample : series.gauge_samples) {
      if (sample.slot != slot) continue;
      switch (mode) {
        case MultiprocessMode::min:
        case MultiprocessMode::livemin:
          if (!found || sample.value < value) value = sample.value;
          found = true;
          break;
        case MultiprocessMode::max:
        case MultiprocessMode::livemax:
          if (!found || sample.value > value) value = sample.value;
          found = true;
          break;
        case MultiprocessMode::mostrecent:
        case MultiprocessMode::livemostrecent:
          if (latest < sample.timestamp) {  // never set while every timestamp is 0, as Python
            latest = sample.timestamp;
            value = sample.value;
            found = true;
          }
          break;
        default:  // sum, livesum
          value += sample.value;
          found = true;
      }
    }
    if (found) writer.rendered_sample(series.slots[slot].name, series.before, {}, {}, series.after, value);
  }
}

void Aggregator::State::write(ExpositionWriter& writer) {
  for (const std::unique_ptr<Metric>& metric : metrics) {
    if (!metric->sampled) continue;
    const bool counter = metric->kind == Kind::counter;
    writer.header(counter && !writer.openmetrics() ? metric->identity + "_total" : metric->identity,
                  metric->family, kind_name(metric->kind));
    for (const std::unique_ptr<Series>& series : metric->series) {
      if (!series->sampled) continue;
      if (metric->kind == Kind::gauge) {
        write_gauge(writer, *metric, *series);
        continue;
      }
      bool has_buckets = false;
      double cumulative = 0;
      if (metric->kind == Kind::histogram) {
        const std::string name = metric->identity + "_bucket";
        for (const std::uint32_t index : series->bucket_order) {
          const Bucket& bucket = series->buckets[index];
          if (!bucket.present) continue;
          has_buckets = true;
          cumulative += bucket.value;
          writer.rendered_sample(name, series->before, "le", bucket.le, series->after, cumulative);
        }
        // `_count` is the last cumulative bucket, whatever a file holds under that name.
        if (has_buckets) {
          writer.rendered_sample(metric->identity + "_count", series->before, {}, {},
                                 series->after, cumulative);
        }
      }
      for (const Slot& slot : series->slots) {
        if (!slot.present) continue;
        if (has_buckets && slot.name == metric->identity + "_count") continue;
        writer.rendered_sample(slot.name, series->before, {}, {}, series->after, slot.value);
      }
    }
  }
}

void Aggregator::State::compact() {
  std::size_t live = 0;
  for (const std::unique_ptr<Key>& key : keys) live += key->seen == scrape ? 1 : 0;
  if (keys.size() <= 2 * live + 1024) return;
  // A seen key marks its series and metric seen (apply), so what stays never points at what goes.
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [this](const std::unique_ptr<Key>& key) { return key->seen != scrape; }),
             keys.end());
  key_table.clear();
  for (const std::unique_ptr<Key>& key : keys) key_table.insert(key.get());
  series_table.clear();
  for (const std::unique_ptr<Metric>& metric : metrics) {
    auto& series = metric->series;
    series.erase(std::remove_if(series.begin(), series.end(),
                                [this](const std::unique_ptr<Series>& one) {
                                  return one->seen != scrape;
                                }),
                 series.end());
    for (const std::unique_ptr<Series>& one : series) series_table.insert(one.get());
  }
  metrics.erase(std::remove_if(metrics.begin(), metrics.end(),
                               [this](const std::unique_ptr<Metric>& metric) {
                                 return metric->seen != scrape;
                               }),
                metrics.end());
  metric_table.clear();
  for (const std::unique_ptr<Metric>& metric : metrics) metric_table.insert(metric.get());
}

Aggregator::Aggregator(std::string directory) : state_(std::make_unique<State>()) {
  state_->directory = std::move(directory);
}

Aggregator::~Aggregator() = default;

const std::string& Aggregator::directory() const noexcept { return state_->directory; }

void Aggregator::write(ExpositionWriter& writer) {
  State& state = *state_;
  ++state.scrape;
  for (const std::unique_ptr<Metric>& metric : state.metrics) {
    metric->sampled = false;
    for (const std::unique_ptr<Series>& series : metric->series) {
      series->sampled = false;
      for (Slot& slot : series->slots) {
        slot.value = 0;
        slot.present = false;
      }
      for (Bucket& bucket : series->buckets) {
        bucket.value = 0;
        bucket.present = false;
      }
      series->gauge_samples.clear();
    }
  }
  state.pids.clear();
  std::vector<std::string> names;
  if (DIR* listing = ::opendir(state.directory.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      const std::string_view name = entry->d_name;
      // glob('*.db'): hidden files (a fork child's file being written) are not matched.
      if (name.size() > 3 && name[0] != '.' && name.substr(name.size() - 3) == ".db") {
        names.emplace_back(name);
      }
    }
    ::closedir(listing);
  } else {
    state.warn_once(".", std::string("cannot list the directory: ") + std::strerror(errno));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    FileName file_name;
    if (!parse_file_name(name, file_name)) {
      state.warn_once(name, "its name is not <counter|gauge_<mode>|histogram|summary>_<pid>.db");
      continue;
    }
    state.read_file(name, file_name);
  }
  state.write(writer);
  state.compact();
}

}  // namespace bentoml::metrics::detail
