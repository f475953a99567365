// Internal: the sliding-window quantiles of a summary series. Not part of the API.
//
// Only a Summary configured with quantiles has this object (allocated beside its child; a
// summary without quantiles keeps the plain histogram child). observe() appends the value and
// its time to the calling thread's slot buffer, a single-producer ring: one clock read, two
// stores and a release store of the ring's head, no lock. The rare paths take the series'
// mutex: a full ring (its owner drains every ring into the window, then appends), a thread with
// no slot, and a scrape (which drains, rotates the window to the present and queries it).
// Ordering: the producer writes an entry, then stores `head` with release; the consumer loads
// `head` with acquire before reading entries, and stores `tail` with release after; the producer
// loads `tail` with acquire before reusing an entry. A slot changes holder only through the slot
// bitmap's release/acquire (thread_slot.hpp), so a new holder continues the ring's `head`.
// The window and its error bounds: docs/design.md, "Summary quantiles".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/histogram_cell.hpp"
#include "bentoml/metrics/detail/thread_slot.hpp"

namespace bentoml::metrics::detail {

/// Monotonic nanoseconds; the sliding window's clock (a test may inject its own).
using QuantileClock = std::int64_t (*)() noexcept;
/// The default clock: CLOCK_MONOTONIC_COARSE.
std::int64_t coarse_monotonic_nanoseconds() noexcept;

/// One target: the `quantile` reported within rank error `error` (both validated).
struct QuantileTarget {
  double quantile;
  double error;
};

/// What the quantile series of a family share; owned by the family.
struct QuantileSettings {
  std::vector<QuantileTarget> targets;
  std::vector<std::string> labels;  ///< each target's `quantile` label value, formatted
  std::int64_t max_age_nanoseconds;
  int age_buckets;
  QuantileClock clock;
};

/// A single-producer, single-consumer ring of (value, time) entries.
class QuantileBuffer {
 public:
  static constexpr std::uint64_t kCapacity = 512;
  struct Entry {
    double value;
    std::int64_t time;
  };

  /// Producer (the slot's holder): false when full.
  bool try_push(double value, std::int64_t time) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == kCapacity) return false;
    entries_[head % kCapacity] = Entry{value, time};
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  /// Consumer (under the series' mutex): passes every published entry to `visit`.
  template <class Visit>
  void drain(Visit&& visit) {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    for (std::uint64_t i = tail; i != head; ++i) visit(entries_[i % kCapacity]);
    tail_.store(head, std::memory_order_release);
  }

 private:
  // One line for both: the producer writes `head` and reads `tail` on every push, the consumer
  // writes `tail` only when it drains (rarely), and a scrape then reads one line, not two.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> tail_{0};
  alignas(kCacheLine) Entry entries_[kCapacity];
};

class QuantileWindow;  // src/storage/quantile_window.hpp

class SummaryQuantiles {
 public:
  /// `settings` outlive this object; `cell` is the series' `_count`/`_sum` storage.
  SummaryQuantiles(const QuantileSettings& settings, HistogramCell& cell);
  ~SummaryQuantiles();
  SummaryQuantiles(const SummaryQuantiles&) = delete;
  SummaryQuantiles& operator=(const SummaryQuantiles&) = delete;

  /// Records into `_count`/`_sum` and the window. NaN is counted but not ranked.
  void observe(double value) noexcept {
    cell_.observe_in_bucket(0, value);  // `_count` and `_sum`
    if (BENTOML_METRICS_UNLIKELY(value != value)) return;
    const std::int64_t now = settings_.clock();
    const int slot = this_thread_slot();
    if (BENTOML_METRICS_LIKELY(slot >= 0)) {
      QuantileBuffer* buffer = buffers_[slot].load(std::memory_order_acquire);
      if (BENTOML_METRICS_LIKELY(buffer != nullptr && buffer->try_push(value, now))) return;
    }
    observe_slow(slot, value, now);
  }
  static void observe_into(void* self, double seconds) noexcept {
    static_cast<SummaryQuantiles*>(self)->observe(seconds);
  }

  /// Drains every ring, moves the window to the present and writes one value per target into
  /// `out` (NaN when the window is empty). Takes the series' mutex.
  void read(double* out);

  /// Around fork(): the mutex is held across it so that no child inherits it locked mid-update.
  void lock_for_fork() noexcept { mutex_.lock(); }
  void unlock_after_fork() noexcept { mutex_.unlock(); }

 private:
  void observe_slow(int slot, double value, std::int64_t time) noexcept;
  /// Under the mutex: moves every ring's entries into the window.
  void drain_locked();

  const QuantileSettings& settings_;
  HistogramCell& cell_;
  std::unique_ptr<std::atomic<QuantileBuffer*>[]> buffers_;  ///< thread_slot_count() entries
  std::mutex mutex_;
  std::unique_ptr<QuantileWindow> window_;
};

}  // namespace bentoml::metrics::detail
