// The out-of-line parts of counters: stripes on first contention, the 2^64 carry, reading, and
// exemplars; see bentoml/metrics/detail/counter_cell.hpp (the hot paths are inline there).
#include "bentoml/metrics/detail/counter_cell.hpp"

#include <cmath>
#include <new>
#include <utility>

#include "bentoml/metrics/detail/counter_family.hpp"
#include "storage/hot_allocation.hpp"

namespace bentoml::metrics::detail {

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

}  // namespace bentoml::metrics::detail
