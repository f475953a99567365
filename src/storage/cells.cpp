// The out-of-line parts of the storage cells: allocation on first contention, reading, and the
// rarely used paths. The hot paths are inline in the detail headers.
#include <chrono>
#include <cmath>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "bentoml/metrics/detail/gauge_cell.hpp"
#include "bentoml/metrics/detail/histogram_cell.hpp"
#include "bentoml/metrics/error.hpp"

namespace bentoml::metrics::detail {

// ---- counters -------------------------------------------------------------------------------

namespace {
/// Hot-path allocations (stripes, shards, exemplar slots) report running out of memory by
/// returning null, and the caller carries on without them: recording never throws.
void* allocate_or_null(std::size_t size, std::size_t alignment) noexcept {
  return ::operator new (size, std::align_val_t{alignment}, std::nothrow);
}
void free_allocated(void* memory, std::size_t alignment) noexcept {
  if (memory != nullptr) ::operator delete (memory, std::align_val_t{alignment});
}
}  // namespace

CounterStripes* CounterStripes::create(std::uint64_t others) noexcept {
  const int cells = thread_slot_count();
  void* memory = allocate_or_null(sizeof(CounterStripes) + (cells - 1) * sizeof(PaddedWord),
                                  kAlignment);
  if (memory == nullptr) return nullptr;
  auto* stripes = new (memory) CounterStripes();
  for (int i = 1; i < cells; ++i) new (&stripes->cells[i]) PaddedWord();
  stripes->shared.value.store(others, std::memory_order_relaxed);
  return stripes;
}

void CounterStripes::destroy(CounterStripes* stripes) noexcept {
  free_allocated(stripes, kAlignment);  // PaddedWord is trivially destructible
}

void CounterCell::add_carry(std::uint64_t amount) noexcept {
  atomic_add_double(fraction_bits_, static_cast<double>(amount));
}

bool CounterCell::install_stripes(std::uintptr_t& route) noexcept {
  CounterStripes* fresh = CounterStripes::create(route >> kOthersShift);
  if (fresh == nullptr) return false;
  while ((route & kCounting) != 0) {
    fresh->shared.value.store(route >> kOthersShift, std::memory_order_relaxed);
    // release: a thread that loads the new route (acquire) sees the initialized cells. The CAS
    // succeeds only on the counting value `shared` was set from: no addition to `others` is lost.
    // The owner bits become kNoOwner: from now on the former owner adds to its own cell too.
    const std::uintptr_t striped = reinterpret_cast<std::uintptr_t>(fresh) | kNoOwnerBits;
    if (route_.compare_exchange_weak(route, striped, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      route = striped;
      return true;
    }
  }
  CounterStripes::destroy(fresh);  // another thread striped the counter first
  return true;
}

void CounterCell::add_whole_elsewhere(std::uint64_t amount) noexcept {
  const int slot = this_thread_slot();  // claims a slot on the thread's first recording
  const std::uintptr_t mine = owner_bits(slot + 1);
  bool crowded = false;  // non-owners met on `others`: stripe
  std::uintptr_t route = route_.load(std::memory_order_acquire);
  for (;;) {
    if (slot >= 0 && (route & kOwnerMask) == mine) {
      add_as_owner(amount);
      return;
    }
    if (route == kMultiprocessRoute) {
      atomic_add_double(*bound_word(), static_cast<double>(amount));
      return;
    }
    if (CounterStripes* cells = stripes(route)) {
      if (slot < 0) break;
      add_to_own_cell(cells->cells[slot].value, amount);
      return;
    }
    // Counting. The first thread with a slot becomes the owner.
    if (slot >= 0 && (route & kOwnerMask) == kNoOwnerBits) {
      if (route_.compare_exchange_strong(route, (route & ~kOwnerMask) | mine,
                                         std::memory_order_acquire, std::memory_order_acquire)) {
        add_as_owner(amount);
        return;
      }
      continue;  // another thread claimed it first, or added to `others`
    }
    std::uint64_t others;
    const bool fits = !__builtin_add_overflow(route >> kOthersShift, amount, &others) &&
                      others < (std::uint64_t{1} << (64 - kOthersShift)) - 1;
    if (!crowded && fits && others < kStripeAfter) {
      if (route_.compare_exchange_strong(route, (others << kOthersShift) | (route & 0xFF),
                                         std::memory_order_acquire, std::memory_order_acquire)) {
        return;
      }
      crowded = true;
      continue;
    }
    if (install_stripes(route)) continue;
    // Out of memory for stripes: keep counting in `route_`.
    if (!fits) {
      add_carry(amount);
      return;
    }
    if (route_.compare_exchange_strong(route, (others << kOthersShift) | (route & 0xFF),
                                       std::memory_order_acquire, std::memory_order_acquire)) {
      return;
    }
  }
  // A thread without a slot, on a striped counter: the shared cell, by CAS.
  std::atomic<std::uint64_t>& shared = stripes(route)->shared.value;
  std::uint64_t old_value = shared.load(std::memory_order_relaxed);
  std::uint64_t new_value;
  do {
    if (__builtin_add_overflow(old_value, amount, &new_value)) {
      add_carry(amount);
      return;
    }
  } while (!shared.compare_exchange_weak(old_value, new_value, std::memory_order_relaxed));
}

bool CounterCell::whole(std::uint64_t& total) const noexcept {
  total = 0;
  if (bound_word() != nullptr) return false;  // a multiprocess counter is a double, as in Python
  total = whole_.load(std::memory_order_relaxed);
  const std::uintptr_t route = route_.load(std::memory_order_acquire);
  const CounterStripes* cells = stripes(route);
  if (cells == nullptr) return !__builtin_add_overflow(total, route >> kOthersShift, &total);
  bool fits = !__builtin_add_overflow(total, cells->shared.value.load(std::memory_order_relaxed),
                                      &total);
  for (int i = 0; i < thread_slot_count(); ++i) {
    fits = !__builtin_add_overflow(total, cells->cells[i].value.load(std::memory_order_relaxed),
                                   &total) &&
           fits;
  }
  return fits;
}

double CounterCell::whole_as_double() const noexcept {
  if (const std::atomic<std::uint64_t>* word = bound_word()) {
    return bits_to_double(word->load(std::memory_order_relaxed));
  }
  std::uint64_t total = 0;
  if (whole(total)) return static_cast<double>(total);
  double sum = static_cast<double>(whole_.load(std::memory_order_relaxed));
  const std::uintptr_t route = route_.load(std::memory_order_acquire);
  const CounterStripes* cells = stripes(route);
  if (cells == nullptr) return sum + static_cast<double>(route >> kOthersShift);
  sum += static_cast<double>(cells->shared.value.load(std::memory_order_relaxed));
  for (int i = 0; i < thread_slot_count(); ++i) {
    sum += static_cast<double>(cells->cells[i].value.load(std::memory_order_relaxed));
  }
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

std::atomic<std::uint64_t>* allocate_shard(std::size_t bucket_count) noexcept {
  const std::size_t words = HistogramShard::words(bucket_count);
  auto* shard = static_cast<std::atomic<std::uint64_t>*>(
      allocate_or_null(words * sizeof(std::atomic<std::uint64_t>), kCacheLine));
  if (shard == nullptr) return nullptr;
  for (std::size_t i = 0; i < words; ++i) new (&shard[i]) std::atomic<std::uint64_t>(0);
  return shard;
}

/// Returns the shard in `slot`, allocating it on first use (null if memory ran out).
std::atomic<std::uint64_t>* shard_in(std::atomic<std::atomic<std::uint64_t>*>& slot,
                                     std::size_t bucket_count) noexcept {
  std::atomic<std::uint64_t>* shard = slot.load(std::memory_order_acquire);
  if (shard != nullptr) return shard;
  std::atomic<std::uint64_t>* fresh = allocate_shard(bucket_count);
  if (fresh == nullptr) return nullptr;
  if (slot.compare_exchange_strong(shard, fresh, std::memory_order_acq_rel)) return fresh;
  free_allocated(fresh, kCacheLine);
  return shard;
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
    free_allocated(extra->shared.load(std::memory_order_acquire), kCacheLine);
    for (int i = 0; i < thread_slot_count(); ++i) {
      free_allocated(extra->by_slot[i].load(std::memory_order_acquire), kCacheLine);
    }
    free_allocated(extra, kCacheLine);
  }
  delete[] exemplars_.load(std::memory_order_acquire);
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

double unix_time_now_in_microseconds() noexcept {
  // The double nearest to a whole number of microseconds: the exposition writes such times from
  // their integer digits (number_format.cpp), several times faster than a shortest-digits search.
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return static_cast<double>(micros) / 1e6;
}

}  // namespace bentoml::metrics::detail
