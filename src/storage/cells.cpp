// The out-of-line parts of the storage cells: allocation on first contention, reading, and the
// rarely used paths. The hot paths are inline in the detail headers.
#include <chrono>
#include <cmath>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/histogram_cell.hpp"
#include "bentoml/metrics/error.hpp"

namespace bentoml::metrics::detail {

// ---- counters -------------------------------------------------------------------------------

CounterStripes* CounterStripes::create() {
  const std::size_t size = sizeof(CounterStripes) + (thread_slot_count() - 1) * sizeof(PaddedWord);
  void* memory = allocate_aligned(size);
  auto* stripes = new (memory) CounterStripes();
  for (int i = 1; i < thread_slot_count(); ++i) new (&stripes->cells[i]) PaddedWord();
  return stripes;
}

void CounterStripes::destroy(CounterStripes* stripes) noexcept {
  // PaddedWord is trivially destructible. A multiprocess word belongs to its file's mapping.
  if (stripes != nullptr && !is_shared_word(stripes)) free_aligned(stripes);
}

CounterStripes* CounterCell::install_stripes() noexcept {
  CounterStripes* fresh = nullptr;
  try {
    fresh = CounterStripes::create();
  } catch (...) {
    return nullptr;
  }
  CounterStripes* expected = nullptr;
  // release: a thread that loads the pointer (acquire) sees zeroed cells.
  if (stripes_.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) return fresh;
  CounterStripes::destroy(fresh);
  return expected;
}

namespace {
/// Calls `visit(word)` for every integer part of a counter.
template <class Visit>
void for_each_whole_part(const std::atomic<std::uint64_t>& base, const CounterStripes* stripes,
                         Visit&& visit) {
  visit(base.load(std::memory_order_relaxed));
  if (stripes == nullptr) return;
  visit(stripes->shared.value.load(std::memory_order_relaxed));
  for (int i = 0; i < thread_slot_count(); ++i) {
    visit(stripes->cells[i].value.load(std::memory_order_relaxed));
  }
}
}  // namespace

bool CounterCell::whole(std::uint64_t& total) const noexcept {
  total = 0;
  if (bound_word() != nullptr) return false;  // a multiprocess counter is a double, as in Python
  bool fits = true;
  for_each_whole_part(whole_, stripes_.load(std::memory_order_acquire), [&](std::uint64_t part) {
    fits = fits && !__builtin_add_overflow(total, part, &total);
  });
  return fits;
}

double CounterCell::whole_as_double() const noexcept {
  if (const std::atomic<std::uint64_t>* word = bound_word()) {
    return bits_to_double(word->load(std::memory_order_relaxed));
  }
  std::uint64_t total = 0;
  if (whole(total)) return static_cast<double>(total);
  double sum = 0;
  for_each_whole_part(whole_, stripes_.load(std::memory_order_acquire),
                      [&sum](std::uint64_t part) { sum += static_cast<double>(part); });
  return sum;
}

CounterStorage::~CounterStorage() { delete exemplar_.load(std::memory_order_acquire); }

void CounterStorage::store_exemplar(std::initializer_list<LabelPair> labels, double amount,
                                    double timestamp) noexcept {
  // Multiprocess mode keeps no exemplars: the files have no room for them (as in Python).
  if (value.bound_word() != nullptr) return;
  ExemplarSlot* slot = exemplar_.load(std::memory_order_acquire);
  if (slot == nullptr) {
    auto* fresh = new (std::nothrow) ExemplarSlot();
    if (fresh == nullptr) return;
    if (exemplar_.compare_exchange_strong(slot, fresh, std::memory_order_acq_rel)) {
      slot = fresh;
    } else {
      delete fresh;
    }
  }
  slot->store(labels, amount, timestamp);
}

// ---- gauges ---------------------------------------------------------------------------------

// Replaced functions are reclaimed without a lock, by counting callers (the argument uses the
// single total order of seq_cst operations): a scrape increments `callers` and then loads
// `current`; a setter exchanges `current`, pushes the old function on `retired`, takes the whole
// `retired` list and only then loads `callers`. A scrape still holding a function F loaded it
// before the exchange that retired F, so its increment precedes that exchange, which precedes
// the push, the take and the load of `callers`: the setter sees it and keeps the list (pushing
// it back for a later setter). A scrape that increments later loads a newer function.

GaugeCell::~GaugeCell() {
  Functions* state = functions();
  if (state == nullptr) return;
  delete state->current.load(std::memory_order_acquire);
  Function* retired = state->retired.load(std::memory_order_acquire);
  while (retired != nullptr) delete std::exchange(retired, retired->next_retired);
  delete state;
}

double GaugeCell::current() const {
  Functions* state = functions();
  if (state == nullptr) return value();
  struct Caller {
    std::atomic<int>& callers;
    explicit Caller(std::atomic<int>& count) : callers(count) {
      callers.fetch_add(1, std::memory_order_seq_cst);
    }
    ~Caller() { callers.fetch_sub(1, std::memory_order_release); }
    Caller(const Caller&) = delete;
    Caller& operator=(const Caller&) = delete;
  } caller(state->callers);
  const Function* function = state->current.load(std::memory_order_seq_cst);
  return function != nullptr ? function->call() : value();
}

void GaugeCell::set_function(std::function<double()> function) {
  if (multiprocess()) {
    throw Error(
        "set_function is not available in multiprocess mode: the function would run only in "
        "this process, while the aggregate is read from the files; set the gauge instead");
  }
  Functions* state = functions();
  if (state == nullptr) {
    auto* fresh = new Functions();
    if (functions_.compare_exchange_strong(state, fresh, std::memory_order_acq_rel)) {
      state = fresh;
    } else {
      delete fresh;  // another setter installed one first
    }
  }
  auto* fresh = new Function{std::move(function)};
  Function* replaced = state->current.exchange(fresh, std::memory_order_seq_cst);
  if (replaced != nullptr) retire(*state, replaced);
  Function* chain = state->retired.exchange(nullptr, std::memory_order_seq_cst);
  if (chain == nullptr) return;
  if (state->callers.load(std::memory_order_seq_cst) == 0) {
    while (chain != nullptr) delete std::exchange(chain, chain->next_retired);
  } else {
    retire(*state, chain);  // a scrape may be calling one of them: a later setter frees them
  }
}

void GaugeCell::retire(Functions& state, Function* chain) noexcept {
  Function* tail = chain;
  while (tail->next_retired != nullptr) tail = tail->next_retired;
  Function* head = state.retired.load(std::memory_order_relaxed);
  do {
    tail->next_retired = head;
  } while (!state.retired.compare_exchange_weak(head, chain, std::memory_order_seq_cst,
                                                std::memory_order_relaxed));
}

void GaugeCell::after_fork_in_child() noexcept {
  if (Functions* state = functions()) state->callers.store(0, std::memory_order_relaxed);
}

// ---- histograms -----------------------------------------------------------------------------

namespace {

std::atomic<std::uint64_t>* allocate_shard(std::size_t bucket_count) {
  const std::size_t words = HistogramShard::words(bucket_count);
  auto* shard = static_cast<std::atomic<std::uint64_t>*>(
      allocate_aligned(words * sizeof(std::atomic<std::uint64_t>)));
  for (std::size_t i = 0; i < words; ++i) new (&shard[i]) std::atomic<std::uint64_t>(0);
  return shard;
}

/// Returns the shard in `slot`, allocating it on first use (null if memory ran out).
std::atomic<std::uint64_t>* shard_in(std::atomic<std::atomic<std::uint64_t>*>& slot,
                                     std::size_t bucket_count) noexcept {
  std::atomic<std::uint64_t>* shard = slot.load(std::memory_order_acquire);
  if (shard != nullptr) return shard;
  try {
    std::atomic<std::uint64_t>* fresh = allocate_shard(bucket_count);
    if (slot.compare_exchange_strong(shard, fresh, std::memory_order_acq_rel)) return fresh;
    free_aligned(fresh);
    return shard;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

template <class Visit>
void HistogramCell::for_each_shard(Visit&& visit) const noexcept {
  visit(HistogramShard(primary_, bucket_count()));
  const ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra == nullptr) return;
  if (auto* shard = extra->shared.load(std::memory_order_acquire)) {
    visit(HistogramShard(shard, bucket_count()));
  }
  for (int i = 0; i < thread_slot_count(); ++i) {
    if (auto* shard = extra->by_slot[i].load(std::memory_order_acquire)) {
      visit(HistogramShard(shard, bucket_count()));
    }
  }
}

HistogramCell::~HistogramCell() {
  if (multiprocess()) return;  // no shards, no exemplars; the words belong to the mapping
  for_each_shard([](const HistogramShard& shard) { shard.release(); });
  ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra != nullptr) {
    free_aligned(extra->shared.load(std::memory_order_acquire));
    for (int i = 0; i < thread_slot_count(); ++i) {
      free_aligned(extra->by_slot[i].load(std::memory_order_acquire));
    }
    free_aligned(extra);
  }
  delete[] exemplars_.load(std::memory_order_acquire);
}

void HistogramCell::observe_elsewhere(int slot, std::size_t bucket, double value) noexcept {
  ExtraShards* extra = extra_.load(std::memory_order_acquire);
  if (extra == nullptr) {
    try {
      const std::size_t size =
          sizeof(ExtraShards) + (thread_slot_count() - 1) * sizeof(std::atomic<std::uint64_t>*);
      auto* fresh = new (allocate_aligned(size)) ExtraShards();
      for (int i = 1; i < thread_slot_count(); ++i) {
        new (&fresh->by_slot[i]) std::atomic<std::atomic<std::uint64_t>*>(nullptr);
      }
      if (extra_.compare_exchange_strong(extra, fresh, std::memory_order_acq_rel)) {
        extra = fresh;
      } else {
        free_aligned(fresh);
      }
    } catch (...) {
      extra = nullptr;
    }
  }
  if (extra != nullptr && slot >= 0) {
    if (std::atomic<std::uint64_t>* shard = shard_in(extra->by_slot[slot], bucket_count())) {
      HistogramShard(shard, bucket_count()).observe_single_writer(bucket, value);
      return;
    }
  }
  if (extra != nullptr) {
    if (std::atomic<std::uint64_t>* shard = shard_in(extra->shared, bucket_count())) {
      HistogramShard(shard, bucket_count()).observe_shared(bucket, value);
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
  for_each_shard([&reading](const HistogramShard& shard) { shard.read_into(reading); });
}

void HistogramCell::after_fork_in_child() noexcept {
  if (multiprocess()) return;  // the multiprocess files are moved to the child's own (store.cpp)
  for_each_shard([](const HistogramShard& shard) { shard.after_fork_in_child(); });
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

// ---- exemplars and time ---------------------------------------------------------------------

double unix_time_now() noexcept {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace bentoml::metrics::detail
