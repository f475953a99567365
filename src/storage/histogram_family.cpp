// The family behind Histogram and Summary: children (in process memory or in multiprocess
// files) and fork handling; see bentoml/metrics/detail/histogram_family.hpp.
#include "bentoml/metrics/detail/histogram_family.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "storage/child_memory.hpp"
#include "storage/external_values.hpp"

namespace bentoml::metrics::detail {

HistogramFamily::HistogramFamily(FamilyIdentity identity, std::vector<double> finite_bounds)
    : FamilyBase(std::move(identity)),
      bounds_(std::move(finite_bounds)),
      search_(bounds_) {}

ChildHeader* HistogramFamily::make_child(const std::string_view* values) {
  if (ExternalValues* external = external_values()) {
    return make_multiprocess_child(*external, values);
  }
  const std::size_t words = HistogramShard::words(bounds_.size() + 1);
  const std::size_t shard_bytes = words * sizeof(std::atomic<std::uint64_t>);
  // With quantiles, a SummaryQuantiles* follows the shard; without, the layout is unchanged.
  const std::size_t extra = quantile_settings_ != nullptr ? sizeof(SummaryQuantiles*) : 0;
  const ChildMemory allocation = allocate_child(sizeof(Child<HistogramCell>), shard_bytes + extra,
                                                identity(), values, &arena_);
  auto* shard = reinterpret_cast<std::atomic<std::uint64_t>*>(allocation.cell_storage);
  for (std::size_t i = 0; i < words; ++i) {
    // The storage is 64-byte aligned and words * 8 bytes long (allocate_child).
    new (&shard[i]) std::atomic<std::uint64_t>(0);  // NOLINT(clang-analyzer-cplusplus.PlacementNew)
  }
  auto* child = new (allocation.record) Child<HistogramCell>(search_, shard);
  child->labels = allocation.labels;
  if (quantile_settings_ != nullptr) {
    SummaryQuantiles* created = nullptr;
    try {
      created = new SummaryQuantiles(*quantile_settings_, child->cell);
    } catch (...) {
      child->~Child<HistogramCell>();
      arena_.release_last(child, child_bytes(sizeof(Child<HistogramCell>), shard_bytes + extra,
                                             identity(), values));
      throw;
    }
    // quantiles_offset_ (set before any child exists) is where the shard ends.
    std::memcpy(static_cast<char*>(allocation.record) + quantiles_offset_, &created,
                sizeof created);
  }
  return child;
}

ChildHeader* HistogramFamily::make_multiprocess_child(ExternalValues& external,
                                                      const std::string_view* values) {
  // The entries in prometheus_client's order, so that the files are the bytes Python writes: a
  // histogram's `_sum` then its buckets, a summary's `_count` then its `_sum`.
  const std::size_t bucket_count = bounds_.size() + 1;
  const bool histogram = identity().type == MetricType::histogram;
  const double infinity = std::numeric_limits<double>::infinity();
  std::vector<SampleWord> samples;
  if (histogram) {
    samples.push_back({"_sum", nullptr});
    for (std::size_t i = 0; i < bucket_count; ++i) {
      samples.push_back({"_bucket", i < bounds_.size() ? &bounds_[i] : &infinity});
    }
  } else {
    samples = {{"_count", nullptr}, {"_sum", nullptr}};
  }
  std::vector<std::atomic<std::uint64_t>*> found(samples.size());
  external.words(identity(), values, samples.data(), samples.size(), found.data());
  // A histogram's `_sum` then its buckets; a summary's `_count` (its one bucket) then `_sum`.
  std::atomic<std::uint64_t>* const sum = histogram ? found[0] : found[1];
  std::atomic<std::uint64_t>* const* const buckets = histogram ? &found[1] : &found[0];
  const std::size_t bytes =
      sizeof(MultiprocessHistogramWords) + (bucket_count - 1) * sizeof(std::atomic<std::uint64_t>*);
  const ChildMemory allocation =
      allocate_child(sizeof(Child<HistogramCell>), bytes, identity(), values, &arena_);
  // The storage is `bytes` long, 64-byte aligned (allocate_child).
  auto* words = new (allocation.cell_storage)  // NOLINT(clang-analyzer-cplusplus.PlacementNew)
      MultiprocessHistogramWords{sum, {buckets[0]}};
  for (std::size_t i = 1; i < bucket_count; ++i) words->buckets[i] = buckets[i];
  auto* child =
      new (allocation.record) Child<HistogramCell>(search_, nullptr);
  child->cell.bind_multiprocess(words);
  child->labels = allocation.labels;
  return child;
}

void HistogramFamily::set_quantiles(std::unique_ptr<QuantileSettings> settings) {
  quantile_settings_ = std::move(settings);
  // After the child's record (rounded to a cache line, as allocate_child lays it out) and its
  // shard. Fixed before any child exists: handles and scrapes read it without synchronizing.
  const std::size_t record =
      (sizeof(Child<HistogramCell>) + kCacheLine - 1) / kCacheLine * kCacheLine;
  quantiles_offset_ =
      record + HistogramShard::words(bounds_.size() + 1) * sizeof(std::atomic<std::uint64_t>);
}

HistogramFamily::~HistogramFamily() { destroy_children(); }  // then arena_ frees their memory

void HistogramFamily::destroy_child(ChildHeader* child) noexcept {
  delete quantiles(child);
  static_cast<Child<HistogramCell>*>(child)->~Child<HistogramCell>();  // memory: arena_'s
}

// A scrape zeroes a copy before it flips (histogram_shard.hpp), so it must not be copied half
// done into a child: the fork waits for it (scrapes never wait for writers, so this is short).
void HistogramFamily::before_fork() noexcept {
  while (reading_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
  // A quantile series' mutex guards its window: held across fork() so no copy is half updated.
  for (ChildHeader* child = first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_relaxed)) {
    if (SummaryQuantiles* window = quantiles(child)) window->lock_for_fork();
  }
}

void HistogramFamily::unlock_quantiles_after_fork() noexcept {
  for (ChildHeader* child = first_child(); child != nullptr;
       child = child->next_in_order.load(std::memory_order_relaxed)) {
    if (SummaryQuantiles* window = quantiles(child)) window->unlock_after_fork();
  }
}

void HistogramFamily::after_fork_in_parent() noexcept {
  unlock_quantiles_after_fork();
  reading_.clear(std::memory_order_release);
}

void HistogramFamily::after_fork_in_child() noexcept {
  unlock_quantiles_after_fork();
  reading_.clear(std::memory_order_relaxed);
  for_each_child_cell<HistogramCell>(*this,
                                     [](HistogramCell& cell) { cell.after_fork_in_child(); });
}

}  // namespace bentoml::metrics::detail
