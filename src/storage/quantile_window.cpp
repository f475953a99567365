// Summary quantiles: the rank-error streams, the sliding window, the per-series rings.
#include "storage/quantile_window.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include <time.h>

namespace bentoml::metrics::detail {

// ---- QuantileStream -------------------------------------------------------------------------
//
// Invariant (Greenwald and Khanna): with rmin(i) = g(0) + ... + g(i) and rmax(i) = rmin(i) +
// delta(i), the exact rank of tuple i's value lies in [rmin(i), rmax(i)], and every tuple has
// g + delta <= 2 epsilon n. Then for any rank r some tuple has r - epsilon n <= rmin and
// rmax <= r + epsilon n (take the one before the first whose rmax exceeds r + epsilon n), and
// query() returns the tuple that is closest in that sense, so within the bound.

void QuantileStream::insert_sorted(const double* values, std::size_t count) {
  if (count == 0) return;
  // A batch in ascending order is the same as inserting the values one at a time in that order:
  // each new value goes after the stored values <= it. Its rank is then at least the ranks
  // before it plus one (g = 1) and at most the old maximum rank of its successor (delta = that
  // successor's g + delta - 1); before every value or after every value its rank is exact.
  // One merge buffer per thread, not per stream: it trades places with the merged stream's
  // vector, so each stream keeps a single vector's memory.
  thread_local std::vector<Tuple> merged;
  merged.clear();
  merged.reserve(tuples_.size() + count);
  std::size_t old = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double value = values[i];
    while (old < tuples_.size() && tuples_[old].value <= value) merged.push_back(tuples_[old++]);
    std::uint64_t delta = 0;
    if (!merged.empty() && old < tuples_.size()) {
      delta = tuples_[old].g + tuples_[old].delta - 1;
    }
    merged.push_back(Tuple{value, 1, delta, 0});
  }
  while (old < tuples_.size()) merged.push_back(tuples_[old++]);
  tuples_.swap(merged);
  count_ += count;
  compress();
}

void QuantileStream::compress() {
  // Merging tuple i into its successor (dropping i's value, adding its g) keeps the successor's
  // rmin and rmax; it is allowed while the merged g + delta stays within 2 epsilon n. The first
  // tuple (the minimum) is kept; the last one absorbs but is never absorbed.
  const auto threshold =
      static_cast<std::uint64_t>(std::floor(2.0 * epsilon_ * static_cast<double>(count_)));
  if (tuples_.size() >= 3 && threshold >= 2) merge_within(threshold);
  std::uint64_t rmin = 0;
  for (Tuple& tuple : tuples_) tuple.rmin = rmin += tuple.g;
}

void QuantileStream::merge_within(std::uint64_t threshold) {
  std::size_t write = tuples_.size() - 1;  // compacting from the back, toward the front
  for (std::size_t read = tuples_.size() - 1; read-- > 1;) {
    Tuple& next = tuples_[write];
    const Tuple& current = tuples_[read];
    if (current.g + next.g + next.delta <= threshold) {
      next.g += current.g;
    } else {
      tuples_[--write] = current;
    }
  }
  tuples_[--write] = tuples_[0];
  tuples_.erase(tuples_.begin(), tuples_.begin() + static_cast<std::ptrdiff_t>(write));
}

double QuantileStream::query(double q) const noexcept {
  if (tuples_.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * static_cast<double>(count_);
  const double bound = epsilon_ * static_cast<double>(count_);
  // Only tuples with rmin in [rank - bound, rank + bound] can be within the bound, and rmin
  // grows along the tuples: search for the first, then scan while rmin stays in range.
  auto first = std::partition_point(tuples_.begin(), tuples_.end(), [&](const Tuple& tuple) {
    return static_cast<double>(tuple.rmin) < rank - bound;
  });
  if (first != tuples_.begin()) --first;  // the bound may fall between two ranks
  double best_error = std::numeric_limits<double>::infinity();
  double best = first->value;
  for (auto tuple = first; tuple != tuples_.end(); ++tuple) {
    const auto low = static_cast<double>(tuple->rmin);
    if (low - rank > best_error) break;  // every later tuple is farther
    const double error =
        std::max(rank - low, static_cast<double>(tuple->rmin + tuple->delta) - rank);
    if (error < best_error) {
      best_error = error;
      best = tuple->value;
    }
  }
  return best;
}

// ---- QuantileWindow -------------------------------------------------------------------------

namespace {
double smallest_error(const QuantileSettings& settings) {
  double epsilon = 1;
  for (const QuantileTarget& target : settings.targets) epsilon = std::min(epsilon, target.error);
  return epsilon;
}
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
std::size_t stream_index(std::int64_t epoch, int count) noexcept {
  const std::int64_t index = epoch % count;
  return static_cast<std::size_t>(index < 0 ? index + count : index);
}
}  // namespace

QuantileWindow::QuantileWindow(const QuantileSettings& settings)
    : settings_(settings),
      period_(std::max<std::int64_t>(1, settings.max_age_nanoseconds / settings.age_buckets)),
      streams_(static_cast<std::size_t>(settings.age_buckets),
               QuantileStream(smallest_error(settings))),
      reset_epoch_(static_cast<std::size_t>(settings.age_buckets), 0) {}

std::int64_t QuantileWindow::epoch_of(std::int64_t time) const noexcept {
  return floor_div(time, period_);
}

void QuantileWindow::rotate_to_epoch(std::int64_t epoch) {
  const int buckets = settings_.age_buckets;
  std::int64_t first = epoch - buckets + 1;
  if (started_) {
    if (epoch <= epoch_) return;
    first = std::max(first, epoch_ + 1);
  }
  for (std::int64_t e = first; e <= epoch; ++e) {
    const std::size_t index = stream_index(e, buckets);
    streams_[index].reset();
    reset_epoch_[index] = e;
  }
  started_ = true;
  epoch_ = epoch;
  answers_valid_ = false;
}

void QuantileWindow::rotate_to(std::int64_t now) { rotate_to_epoch(epoch_of(now)); }

void QuantileWindow::add(const QuantileBuffer::Entry* entries, std::size_t count) {
  pending_.insert(pending_.end(), entries, entries + count);
  if (pending_.size() >= kBatch) flush();
}

void QuantileWindow::flush() {
  std::vector<QuantileBuffer::Entry>& entries = pending_;
  if (entries.empty()) return;
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  values_.clear();
  for (QuantileBuffer::Entry& entry : entries) {
    newest = std::max(newest, entry.time);
    oldest = std::min(oldest, entry.time);
    values_.push_back(entry.value);
  }
  // First the rotation the newest entry implies, so that an older entry in the same batch goes
  // only into the streams that were already collecting at its time.
  rotate_to(newest);
  answers_valid_ = false;
  const std::int64_t oldest_epoch = epoch_of(oldest);
  std::sort(values_.begin(), values_.end());
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (reset_epoch_[i] <= oldest_epoch) {  // the usual case: the whole batch belongs
      streams_[i].insert_sorted(values_.data(), values_.size());
      continue;
    }
    selected_.clear();
    for (const QuantileBuffer::Entry& entry : entries) {
      if (epoch_of(entry.time) >= reset_epoch_[i]) selected_.push_back(entry.value);
    }
    std::sort(selected_.begin(), selected_.end());
    streams_[i].insert_sorted(selected_.data(), selected_.size());
  }
  entries.clear();
}

void QuantileWindow::query(double* out) {
  // A window that neither took observations nor rotated since the last query gives the same
  // answers: an idle series costs a scrape no search.
  if (answers_valid_) {
    std::copy(answers_.begin(), answers_.end(), out);
    return;
  }
  const QuantileStream* oldest = nullptr;
  if (started_) {
    std::size_t index = 0;
    for (std::size_t i = 1; i < streams_.size(); ++i) {
      if (reset_epoch_[i] < reset_epoch_[index]) index = i;
    }
    oldest = &streams_[index];
  }
  for (std::size_t i = 0; i < settings_.targets.size(); ++i) {
    out[i] = oldest != nullptr ? oldest->query(settings_.targets[i].quantile)
                               : std::numeric_limits<double>::quiet_NaN();
  }
  answers_.assign(out, out + settings_.targets.size());
  answers_valid_ = true;
}

// ---- SummaryQuantiles -----------------------------------------------------------------------

std::int64_t coarse_monotonic_nanoseconds() noexcept {
  // The window's epochs last max_age / age_buckets (2 minutes by default): the coarse clock's
  // resolution (a few milliseconds) is plenty, and reading it costs a few nanoseconds where
  // CLOCK_MONOTONIC costs about twenty.
  timespec now{};
#ifdef CLOCK_MONOTONIC_COARSE
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
#else
  clock_gettime(CLOCK_MONOTONIC, &now);
#endif
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

SummaryQuantiles::SummaryQuantiles(const QuantileSettings& settings, HistogramCell& cell)
    : settings_(settings),
      cell_(cell),
      buffers_(new std::atomic<QuantileBuffer*>[static_cast<std::size_t>(thread_slot_count())]),
      window_(std::make_unique<QuantileWindow>(settings)) {
  for (int i = 0; i < thread_slot_count(); ++i) buffers_[i].store(nullptr);
}

SummaryQuantiles::~SummaryQuantiles() {
  for (int i = 0; i < thread_slot_count(); ++i) delete buffers_[i].load(std::memory_order_acquire);
}

void SummaryQuantiles::drain_locked() {
  for (int i = 0; i < thread_slot_count(); ++i) {
    QuantileBuffer* buffer = buffers_[i].load(std::memory_order_acquire);
    if (buffer == nullptr) continue;
    buffer->drain([this](const QuantileBuffer::Entry& entry) { window_->add(&entry, 1); });
  }
}

void SummaryQuantiles::observe_slow(int slot, double value, std::int64_t time) noexcept {
  try {
    if (slot >= 0 && buffers_[slot].load(std::memory_order_relaxed) == nullptr) {
      // Only the slot's holder installs its ring; readers see it through the release store.
      auto* buffer = new (std::nothrow) QuantileBuffer();
      if (buffer != nullptr) {
        buffers_[slot].store(buffer, std::memory_order_release);
        if (buffer->try_push(value, time)) return;
      }
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    drain_locked();
    QuantileBuffer* buffer = slot >= 0 ? buffers_[slot].load(std::memory_order_relaxed) : nullptr;
    if (buffer != nullptr && buffer->try_push(value, time)) return;  // drained: room again
    const QuantileBuffer::Entry entry{value, time};
    window_->add(&entry, 1);
  } catch (...) {
    // Out of memory: the observation stays in `_count` and `_sum` but not in the window.
  }
}

void SummaryQuantiles::read(double* out) {
  const std::lock_guard<std::mutex> lock(mutex_);
  drain_locked();
  window_->flush();
  window_->rotate_to(settings_.clock());
  window_->query(out);
}

}  // namespace bentoml::metrics::detail
