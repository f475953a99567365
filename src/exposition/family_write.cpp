// What each metric type exposes, in prometheus_client's order. Lines are formatted by
// ExpositionWriter. Only active children (not removed) are written.
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/gauge_family.hpp"
#include "bentoml/metrics/detail/histogram_family.hpp"
#include "exposition_writer.hpp"

namespace bentoml::metrics::detail {
namespace {

template <class Visit>
void for_each_active(const FamilyBase& family, Visit&& visit) {
  for (const ChildHeader* child = family.first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_acquire)) {
    if (child->active.load(std::memory_order_acquire)) visit(*child);
  }
}

bool has_active(const FamilyBase& family) {
  bool any = false;
  for_each_active(family, [&any](const ChildHeader&) { any = true; });
  return any;
}

/// Text 0.0.4 puts `_created` samples in a gauge family of their own after the metric, as
/// prometheus_client does; OpenMetrics writes them beside each child's other samples.
void write_created_family(ExpositionWriter& writer, const FamilyBase& family) {
  if (writer.openmetrics() || !writer.created_series() || !has_active(family)) return;
  const std::string name = family.name() + "_created";
  writer.header(name, family.identity(), "gauge");
  for_each_active(family, [&](const ChildHeader& child) {
    writer.sample(family.name(), "_created", child, child.created);
  });
}

/// Serializes scrapes of one histogram family: reading flips its children's hot/cold copies.
class ReadingGuard {
 public:
  explicit ReadingGuard(std::atomic_flag& flag) : flag_(flag) {
    while (flag_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
  }
  ~ReadingGuard() { flag_.clear(std::memory_order_release); }
  ReadingGuard(const ReadingGuard&) = delete;
  ReadingGuard& operator=(const ReadingGuard&) = delete;

 private:
  std::atomic_flag& flag_;
};

}  // namespace

template <>
void CounterFamily::write(ExpositionWriter& writer) const {
  if (writer.openmetrics()) {
    writer.header(name(), identity(), "counter");
  } else {
    writer.header(name() + "_total", identity(), "counter");
  }
  ExemplarReading reading;
  for_each_active(*this, [&](const ChildHeader& child) {
    const auto& storage = static_cast<const Child<CounterStorage>&>(child).cell;
    const bool has_exemplar = writer.openmetrics() && storage.exemplar(reading);
    std::uint64_t whole = 0;
    const bool exact = storage.value.whole(whole);
    writer.counter_sample(name(), child, exact, whole,
                          exact ? storage.value.fraction() : storage.value.value(),
                          has_exemplar ? &reading : nullptr);
    if (writer.openmetrics() && writer.created_series()) {
      writer.sample(name(), "_created", child, child.created);
    }
  });
  write_created_family(writer, *this);
}

template <>
void GaugeFamily::write(ExpositionWriter& writer) const {
  writer.header(name(), identity(), "gauge");
  for_each_active(*this, [&](const ChildHeader& child) {
    writer.sample(name(), "", child, static_cast<const Child<GaugeCell>&>(child).cell.current());
  });
}

void HistogramFamily::write(ExpositionWriter& writer) const {
  const bool histogram = identity().type == MetricType::histogram;
  writer.header(name(), identity(), histogram ? "histogram" : "summary");
  const std::size_t bucket_count = bounds_.size() + 1;
  std::vector<std::string> le(bucket_count);
  for (std::size_t i = 0; i < bounds_.size(); ++i) le[i] = le_value(bounds_[i]);
  le.back() = "+Inf";
  std::vector<std::uint64_t> buckets(bucket_count);
  std::vector<std::uint64_t> scratch(reading_words(bucket_count));
  ExemplarReading exemplar;
  std::vector<double> quantile_values(
      quantile_settings_ != nullptr ? quantile_settings_->targets.size() : 0);
  ReadingGuard guard(reading_);
  for_each_active(*this, [&](const ChildHeader& child) {
    const HistogramCell& cell = static_cast<const Child<HistogramCell>&>(child).cell;
    // Quantiles first, as prometheus_client and OpenMetrics order a summary's samples.
    if (SummaryQuantiles* window = quantiles(&child)) {
      window->read(quantile_values.data());
      for (std::size_t i = 0; i < quantile_values.size(); ++i) {
        writer.quantile_sample(name(), child, quantile_settings_->labels[i], quantile_values[i]);
      }
    }
    std::fill(buckets.begin(), buckets.end(), 0);
    HistogramReading reading{buckets.data(), scratch.data()};
    cell.read_into(reading);
    if (histogram) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < bucket_count; ++i) {
        cumulative += buckets[i];
        const bool has_exemplar = writer.openmetrics() && cell.exemplar(i, exemplar);
        writer.bucket_sample(name(), child, le[i], cumulative, has_exemplar ? &exemplar : nullptr);
      }
    }
    writer.sample(name(), "_count", child, static_cast<double>(reading.count));
    // prometheus_client leaves out _sum when a bucket bound is negative (the sum is then no
    // counter); a summary always has it.
    if (!histogram || bounds_.empty() || bounds_.front() >= 0) {
      writer.sample(name(), "_sum", child, reading.sum);
    }
    if (writer.openmetrics() && writer.created_series()) {
      writer.sample(name(), "_created", child, child.created);
    }
  });
  write_created_family(writer, *this);
}

}  // namespace bentoml::metrics::detail
