// The out-of-line parts of histograms: extra shards on first contention, reading, fork
// handling and exemplars; see bentoml/metrics/detail/histogram_cell.hpp (observe is inline there).
#include "bentoml/metrics/detail/histogram_cell.hpp"

#include <new>

#include "bentoml/metrics/detail/shared_histogram_shard.hpp"
#include "storage/hot_allocation.hpp"

namespace bentoml::metrics::detail {

namespace {

std::atomic<std::uint64_t>* allocate_shard(std::size_t words) noexcept {
  auto* shard = static_cast<std::atomic<std::uint64_t>*>(
      allocate_or_null(words * sizeof(std::atomic<std::uint64_t>), kCacheLine));
  if (shard == nullptr) return nullptr;
  for (std::size_t i = 0; i < words; ++i) new (&shard[i]) std::atomic<std::uint64_t>(0);
  return shard;
}

/// Returns the shard of `words` words in `slot`, allocating it on first use (null if memory ran
/// out).
std::atomic<std::uint64_t>* shard_in(std::atomic<std::atomic<std::uint64_t>*>& slot,
                                     std::size_t words) noexcept {
  std::atomic<std::uint64_t>* shard = slot.load(std::memory_order_acquire);
  if (shard != nullptr) return shard;
  std::atomic<std::uint64_t>* fresh = allocate_shard(words);
  if (fresh == nullptr) return nullptr;
  if (slot.compare_exchange_strong(shard, fresh, std::memory_order_acq_rel)) return fresh;
  free_allocated(fresh, kCacheLine);
  return shard;
}

}  // namespace

template <class Visit, class VisitShared>
void HistogramCell::for_each_shard(Visit&& visit, VisitShared&& visit_shared) const noexcept {
  visit(HistogramShard(primary_, bucket_count()));
  const ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra == nullptr) return;
  if (auto* shard = extra->shared.load(std::memory_order_acquire)) {
    visit_shared(SharedHistogramShard(shard, bucket_count()));
  }
  for (int i = 0; i < thread_slot_count(); ++i) {
    if (auto* shard = extra->by_slot[i].load(std::memory_order_acquire)) {
      visit(HistogramShard(shard, bucket_count()));
    }
  }
}

HistogramCell::~HistogramCell() {
  if (multiprocess()) return;  // no shards, no exemplars; the words belong to the mapping
  ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra != nullptr) {
    if (auto* shard = extra->shared.load(std::memory_order_acquire)) {
      SharedHistogramShard(shard, bucket_count()).release();
      free_allocated(shard, kCacheLine);
    }
    for (int i = 0; i < thread_slot_count(); ++i) {
      free_allocated(extra->by_slot[i].load(std::memory_order_acquire), kCacheLine);
    }
    free_allocated(extra, kCacheLine);
  }
  delete[] exemplars_.load(std::memory_order_acquire);
}

void HistogramCell::observe_not_owner(std::size_t bucket, double value) noexcept {
  const int slot = this_thread_slot();  // may claim this thread's slot just now
  int owner = owner_.load(std::memory_order_relaxed);
  if (owner == kMultiprocessOwner) {
    observe_multiprocess(bucket, value);
    return;
  }
  // The owner (its slot claimed in this_thread_slot() just now), or the first thread with a
  // slot to observe, which becomes the owner.
  const auto becomes_owner = [&] {
    return owner == kNoOwner &&
           owner_.compare_exchange_strong(owner, slot + 1, std::memory_order_relaxed);
  };
  if (slot >= 0 && (owner == slot + 1 || becomes_owner())) {
    HistogramShard(primary_, bucket_count()).observe(bucket, value);
    return;
  }
  observe_elsewhere(slot, bucket, value);
}

void HistogramCell::observe_searched(double value) noexcept {
  observe_in_bucket(bucket_for(value), value);
}

void HistogramCell::observe_elsewhere(int slot, std::size_t bucket, double value) noexcept {
  ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra == nullptr) {
    const std::size_t size =
        sizeof(ExtraShards) + (thread_slot_count() - 1) * sizeof(std::atomic<std::uint64_t>*);
    if (void* memory = allocate_or_null(size, kCacheLine)) {
      auto* fresh = new (memory) ExtraShards();
      for (int i = 1; i < thread_slot_count(); ++i) {
        new (&fresh->by_slot[i]) std::atomic<std::atomic<std::uint64_t>*>(nullptr);
      }
      if (extra_.compare_exchange_strong(extra, fresh, std::memory_order_acq_rel)) {
        extra = fresh;
      } else {
        free_allocated(fresh, kCacheLine);
      }
    }
  }
  if (extra != nullptr && slot >= 0) {
    if (auto* shard = shard_in(extra->by_slot[slot], HistogramShard::words(bucket_count()))) {
      HistogramShard(shard, bucket_count()).observe(bucket, value);
      return;
    }
  }
  if (extra != nullptr) {
    if (auto* shard = shard_in(extra->shared, SharedHistogramShard::words(bucket_count()))) {
      SharedHistogramShard(shard, bucket_count()).observe_shared(bucket, value);
      return;
    }
  }
  // Out of memory for a shard of its own: the observation is dropped. Writing into a shard this
  // thread does not own would break the single-writer rule that keeps every other count exact.
}

void HistogramCell::read_into(HistogramReading& reading) const noexcept {
  if (multiprocess_ != nullptr) {  // this process's own entries, as doubles
    reading.sum += bits_to_double(multiprocess_->sum->load(std::memory_order_relaxed));
    for (std::size_t i = 0; i < bucket_count(); ++i) {
      const double count =
          bits_to_double(multiprocess_->buckets[i]->load(std::memory_order_relaxed));
      const auto whole = count >= 0 && count < 1.8e19 ? static_cast<std::uint64_t>(count) : 0;
      reading.buckets[i] += whole;
      reading.count += whole;
    }
    return;
  }
  const auto read = [&reading](const auto& shard) { shard.read_into(reading); };
  for_each_shard(read, read);
}

void HistogramCell::after_fork_in_child() noexcept {
  if (multiprocess()) return;  // the multiprocess files are moved to the child's own (store.cpp)
  const auto settle = [](const auto& shard) { shard.after_fork_in_child(); };
  for_each_shard(settle, settle);
  if (ExemplarSlot* slots = exemplars_.load(std::memory_order_acquire)) {
    for (std::size_t i = 0; i < bucket_count(); ++i) slots[i].after_fork_in_child();
  }
}

ExemplarSlot* HistogramCell::install_exemplars() noexcept {
  if (multiprocess()) return nullptr;  // no exemplars in multiprocess mode, as in Python
  auto* fresh = new (std::nothrow) ExemplarSlot[bucket_count()];
  if (fresh == nullptr) return nullptr;
  ExemplarSlot* expected = nullptr;
  if (exemplars_.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) return fresh;
  delete[] fresh;
  return expected;
}

}  // namespace bentoml::metrics::detail
