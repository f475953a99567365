// The aggregator's model of a directory: keys parsed into metrics and series, and the aggregate
// written out. See aggregate_model.hpp; the rules are in aggregator.hpp.
#include "multiprocess/aggregate_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "bentoml/metrics/detail/label_hash.hpp"
#include "multiprocess/store.hpp"
#include "number_format.hpp"

namespace bentoml::metrics::detail {
namespace {

std::uint64_t hash_of(std::string_view text) { return hash_value(0x9E3779B97F4A7C15ULL, text); }

const char* kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::counter:
      return "counter";
    case FileKind::gauge:
      return "gauge";
    case FileKind::histogram:
      return "histogram";
    case FileKind::summary:
      return "summary";
  }
  return "untyped";
}

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
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  if (begin == end) return false;
  const std::string trimmed = text.substr(begin, end - begin);
  char* stop = nullptr;
  bound = std::strtod(trimmed.c_str(), &stop);
  return stop == trimmed.c_str() + trimmed.size();
}

}  // namespace

bool parse_file_name(std::string_view name, FileName& out) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = name.find('_', start);
    parts.push_back(name.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts[0] == "counter") {
    out.kind = FileKind::counter;
  } else if (parts[0] == "histogram") {
    out.kind = FileKind::histogram;
  } else if (parts[0] == "summary") {
    out.kind = FileKind::summary;
  } else if (parts[0] == "gauge" && parts.size() >= 3) {
    out.kind = FileKind::gauge;
    out.mode = MultiprocessMode::all;
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

std::uint32_t AggregateModel::new_accumulator() {
  values_.push_back(0);
  present_.push_back(0);
  return static_cast<std::uint32_t>(values_.size() - 1);
}

void AggregateModel::start_scrape() {
  std::fill(values_.begin(), values_.end(), 0.0);
  std::fill(present_.begin(), present_.end(), 0);
  for (const std::unique_ptr<Metric>& metric : metrics_) {
    if (metric->kind != FileKind::gauge) continue;
    for (const std::unique_ptr<Series>& series : metric->series) series->gauge_values.clear();
  }
}

Key* AggregateModel::resolve(std::string_view bytes, FileKind kind) {
  const std::uint64_t hash = hash_of(bytes);
  if (Key* key = key_table_.find(bytes, hash)) return key;
  if (!parse_key(bytes, parsed_)) return nullptr;
  const std::uint64_t metric_hash = hash_of(parsed_.metric);
  Metric* metric = metric_table_.find(parsed_.metric, metric_hash);
  if (metric == nullptr) {
    auto fresh = std::make_unique<Metric>();
    fresh->identity = parsed_.metric;
    fresh->hash = metric_hash;
    fresh->kind = kind;  // the kind of the first file that has it, as in Python
    fresh->family.name = parsed_.metric;
    fresh->family.documentation = parsed_.help;
    metric = fresh.get();
    metric_table_.insert(metric);
    metrics_.push_back(std::move(fresh));
  }
  // The series is the labels without the extra one: a histogram bucket's `le` (which picks the
  // bucket) or a gauge's `pid` (Python drops it, or overrides it with the file's).
  const std::string_view extra = metric->kind == FileKind::histogram ? "le"
                                 : metric->kind == FileKind::gauge   ? "pid"
                                                                     : "";
  const std::string* le = nullptr;
  std::vector<KeyLabel> labels;
  labels.reserve(parsed_.labels.size());
  for (const KeyLabel& label : parsed_.labels) {
    if (!extra.empty() && label.name == extra) {
      if (metric->kind == FileKind::histogram) le = &label.value;
      continue;
    }
    labels.push_back(label);
  }
  double bound = 0;
  if (le != nullptr && !parse_bound(*le, bound)) return nullptr;
  std::string identity = series_identity(parsed_.metric, labels);
  const std::uint64_t series_hash = hash_of(identity);
  Series* series = series_table_.find(identity, series_hash);
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
    series_table_.insert(series);
    metric->series.push_back(std::move(fresh));
  }
  auto key = std::make_unique<Key>();
  key->identity = std::string(bytes);
  key->hash = hash;
  key->series = series;
  if (le != nullptr) {
    std::size_t index = 0;
    while (index < series->buckets.size() && !(series->buckets[index].bound == bound)) ++index;
    if (index == series->buckets.size()) {
      Series::Bucket fresh{bound, {}, new_accumulator()};
      append_go_float(fresh.le, bound);
      series->buckets.push_back(std::move(fresh));
      series->bucket_order.push_back(static_cast<std::uint32_t>(index));
      std::stable_sort(series->bucket_order.begin(), series->bucket_order.end(),
                       [series](std::uint32_t a, std::uint32_t b) {
                         return series->buckets[a].bound < series->buckets[b].bound;
                       });
    }
    key->accumulator = series->buckets[index].accumulator;
  } else {
    std::size_t index = 0;
    while (index < series->samples.size() && series->samples[index].name != parsed_.sample) {
      ++index;
    }
    if (index == series->samples.size()) {
      series->samples.push_back(
          {parsed_.sample, metric->kind == FileKind::gauge ? Key::kGauge : new_accumulator()});
    }
    key->sample = static_cast<std::uint32_t>(index);
    key->accumulator = series->samples[index].accumulator;
  }
  Key* result = key.get();
  key_table_.insert(result);
  keys_.push_back(std::move(key));
  return result;
}

void AggregateModel::write_gauge(ExpositionWriter& writer, const Series& series,
                                 const std::vector<std::string>& pids) const {
  const std::vector<Series::GaugeValue>& values = series.gauge_values;
  const MultiprocessMode mode = series.metric->mode;
  if (mode == MultiprocessMode::all || mode == MultiprocessMode::liveall) {
    // One sample per process. A process with two files holding one gauge (two modes) keeps its
    // last value in the place of its first, as a Python dict does; rare, so looked for by hash.
    std::vector<std::uint64_t> hashes;
    hashes.reserve(values.size());
    for (const Series::GaugeValue& value : values) {
      hashes.push_back(hash_value(value.sample, pids[value.file]));
    }
    std::sort(hashes.begin(), hashes.end());
    const bool repeated = std::adjacent_find(hashes.begin(), hashes.end()) != hashes.end();
    const auto identity = [&](const Series::GaugeValue& value) {
      return std::to_string(value.sample) + '\0' + pids[value.file];
    };
    std::unordered_map<std::string, double> last;
    std::unordered_set<std::string> written;
    if (repeated) {
      for (const Series::GaugeValue& value : values) last[identity(value)] = value.value;
    }
    for (const Series::GaugeValue& value : values) {
      double shown = value.value;
      if (repeated) {
        const std::string one = identity(value);
        if (!written.insert(one).second) continue;
        shown = last[one];
      }
      writer.rendered_sample(series.samples[value.sample].name, series.before, "pid",
                             pids[value.file], series.after, shown);
    }
    return;
  }
  for (std::uint32_t sample = 0; sample < series.samples.size(); ++sample) {
    bool found = false;
    double combined = 0;
    double latest = 0;
    for (const Series::GaugeValue& value : values) {
      if (value.sample != sample) continue;
      switch (mode) {
        case MultiprocessMode::min:
        case MultiprocessMode::livemin:
          if (!found || value.value < combined) combined = value.value;
          found = true;
          break;
        case MultiprocessMode::max:
        case MultiprocessMode::livemax:
          if (!found || value.value > combined) combined = value.value;
          found = true;
          break;
        case MultiprocessMode::mostrecent:
        case MultiprocessMode::livemostrecent:
          if (latest < value.timestamp) {  // never set while every timestamp is 0, as Python
            latest = value.timestamp;
            combined = value.value;
            found = true;
          }
          break;
        default:  // sum, livesum
          combined += value.value;
          found = true;
      }
    }
    if (found) {
      writer.rendered_sample(series.samples[sample].name, series.before, {}, {}, series.after,
                             combined);
    }
  }
}

void AggregateModel::write_summed(ExpositionWriter& writer, const Metric& metric,
                                  const Series& series) const {
  bool has_buckets = false;
  double cumulative = 0;
  if (metric.kind == FileKind::histogram) {
    const std::string name = metric.identity + "_bucket";
    bool has_infinite = false;
    for (const std::uint32_t index : series.bucket_order) {
      const Series::Bucket& bucket = series.buckets[index];
      if (!present(bucket.accumulator)) continue;
      has_buckets = true;
      has_infinite = std::isinf(bucket.bound) && bucket.bound > 0;
      cumulative += values_[bucket.accumulator];
      writer.rendered_sample(name, series.before, "le", bucket.le, series.after, cumulative);
    }
    // A series whose writer was stopped half-way through creating it (a Python process killed
    // between two of its bucket entries; this library publishes a series' entries together)
    // has no `+Inf` bucket. Python then shows the histogram without it, which
    // histogram_quantile() and OpenMetrics reject; the `+Inf` bucket is the count.
    if (has_buckets && !has_infinite) {
      writer.rendered_sample(name, series.before, "le", "+Inf", series.after, cumulative);
    }
    // `_count` is the last cumulative bucket, whatever a file holds under that name.
    if (has_buckets) {
      writer.rendered_sample(metric.identity + "_count", series.before, {}, {}, series.after,
                             cumulative);
    }
  }
  for (const Series::Sample& sample : series.samples) {
    if (!present(sample.accumulator)) continue;
    if (has_buckets && sample.name == metric.identity + "_count") continue;
    writer.rendered_sample(sample.name, series.before, {}, {}, series.after,
                           values_[sample.accumulator]);
  }
}

void AggregateModel::write(ExpositionWriter& writer, const std::vector<std::string>& pids) const {
  for (const std::unique_ptr<Metric>& metric : metrics_) {
    const bool gauge = metric->kind == FileKind::gauge;
    const auto sampled = [&](const Series& series) {
      if (gauge) return !series.gauge_values.empty();
      for (const Series::Sample& sample : series.samples) {
        if (present(sample.accumulator)) return true;
      }
      for (const Series::Bucket& bucket : series.buckets) {
        if (present(bucket.accumulator)) return true;
      }
      return false;
    };
    bool any = false;
    for (const std::unique_ptr<Series>& series : metric->series) {
      if ((any = sampled(*series))) break;
    }
    if (!any) continue;
    const bool counter = metric->kind == FileKind::counter;
    writer.header(counter && !writer.openmetrics() ? metric->identity + "_total" : metric->identity,
                  metric->family, kind_name(metric->kind));
    for (const std::unique_ptr<Series>& series : metric->series) {
      if (!sampled(*series)) continue;
      if (gauge) {
        write_gauge(writer, *series, pids);
      } else {
        write_summed(writer, *metric, *series);
      }
    }
  }
}

}  // namespace bentoml::metrics::detail
