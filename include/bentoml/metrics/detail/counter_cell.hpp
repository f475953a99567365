// Internal: the storage of one counter series. Not part of the API.
//
// A counter is three words (24 bytes): `whole_`, the exact integer part that the counter's owner
// writes; `fraction_bits_`, a double for non-integral amounts (as client_golang's
// valInt/valBits) and for carries; and `route_`, which says who writes where.
//
// Single writer. The first thread with a thread slot (thread_slot.hpp) that adds a whole number
// becomes the counter's owner: `route_` records its slot, and from then on the holder of that slot
// adds to `whole_` with a relaxed load and store, no LOCK prefix. Other threads add their whole
// increments to a count kept in `route_` itself (CAS) until they meet there or it passes
// kStripeAfter; then the counter gets stripes, one cache-line cell per thread slot plus a shared
// cell for threads without a slot, and every thread with a slot, the former owner too, adds to
// its own cell with a load and store. `whole_` is then written no more, so the line that every
// writer reads `route_` from stays clean in every core's cache. A counter written by one thread,
// or by several now and then, never allocates.
//
// `route_`, one word so that the counter stays 24 bytes:
// - bits 1-7: owner slot + 1, or kNoOwner before any thread claimed the counter (slots are < 64)
//   and once it is striped; set once, by a CAS from kNoOwner, and kept until striping.
// - bit 0 set, "counting": bits 8-63 are `others`, the whole increments of every thread but the
//   owner, added by CAS on `route_` (below 2^56 - 1, so never kMultiprocessRoute).
// - bit 0 clear, "striped": the address of the CounterStripes, aligned to 256 bytes so that the
//   owner bits fit in its low byte. Their shared cell starts at `others`.
// - kMultiprocessRoute (every bit set: counting, owner kNoOwner, `others` 2^56 - 1): multiprocess
//   mode (bentoml/metrics/multiprocess.hpp): the series is one double in a memory-mapped file
//   shared with the aggregating process, and `whole_` holds that double's address, set once
//   before the child is published. Neither the owner's test (no slot + 1 is kNoOwner) nor the
//   stripe test passes; the compare after them adds to the file's double with a CAS loop.
//
// Why the total is exact:
// - `whole_` has one writer at a time: the holder of the owner slot (and none once the counter is
//   striped; an owner still finishing an addition it began before is the only writer of both
//   `whole_` and its cell). A thread holds a slot from
//   its claim to its exit; the claim acquires and the release at exit releases the slot bitmap
//   (thread_slot.cpp), so the next holder of the slot sees the last value the previous holder
//   stored into `whole_` and continues from it: the thread slot hand-over. Its plain load and
//   store therefore lose nothing. In a child process after fork(), the slots of the parent's
//   other threads are freed; a later thread that takes the owner's slot continues in the same way.
// - `others` changes only by CAS on `route_`, so non-owners never lose an addition. Striping
//   is a CAS from the counting value whose `others` the new shared cell was initialized with
//   (released by the CAS), so no addition to `others` can slip between the copy and the switch;
//   every later non-owner addition goes to the stripes: cell s has the single writer that holds
//   slot s (the same hand-over argument), the shared cell is added to by CAS.
// - A word that would carry past 2^64 (or `others` past 2^56) takes that amount into the
//   double part instead (add_carry, out of line and cold), as Python holds every counter: no part
//   ever wraps, and integer parts keep counts exact past 2^53.
// - The reader adds `whole_`, then `others` or every stripe (one acquire load of `route_`), then
//   the fraction. Each part only grows and `others` moves into the shared cell in one atomic step,
//   so a reading is a value the counter had between the start and the end of the read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/double_bits.hpp"
#include "bentoml/metrics/detail/thread_slot.hpp"

namespace bentoml::metrics::detail {

/// A counter word alone on its cache line.
struct alignas(kCacheLine) PaddedWord {
  std::atomic<std::uint64_t> value{0};
};

/// The cells a counter spreads the increments of threads other than its owner over.
struct CounterStripes {
  /// Low byte of the address free for the owner bits of `route_`.
  static constexpr std::size_t kAlignment = 256;

  PaddedWord shared;    ///< `others` at striping, then threads without a slot: CAS
  PaddedWord cells[1];  ///< really thread_slot_count() cells, one writer each

  /// Null when memory ran out.
  static CounterStripes* create(std::uint64_t others) noexcept;
  static void destroy(CounterStripes* stripes) noexcept;
};

class CounterCell {
 public:
  CounterCell() = default;
  CounterCell(const CounterCell&) = delete;
  CounterCell& operator=(const CounterCell&) = delete;
  ~CounterCell() { CounterStripes::destroy(stripes(route_.load(std::memory_order_acquire))); }

  /// Adds a whole number. The owner's path: one load of `route_`, a compare, a load and a store;
  /// on a striped counter, a thread with a slot adds to its cell in about as many.
  /// Always inlined: GCC's size estimate of the striped branch would otherwise keep the owner's
  /// ten instructions behind a call (18 instructions a loop iteration instead of 13).
  [[gnu::always_inline]] void add_whole(std::uint64_t amount) noexcept {
    // acquire: a striped route's cells were initialized before it was published (release).
    const std::uintptr_t route = route_.load(std::memory_order_acquire);
    const int slot_plus_one = tls_slot_plus_one;
    if (BENTOML_METRICS_LIKELY((route & kOwnerMask) == owner_bits(slot_plus_one))) {
      add_as_owner(amount);
      return;
    }
    if (BENTOML_METRICS_LIKELY(slot_plus_one > 0)) {
      if (CounterStripes* cells = stripes(route)) {
        add_to_own_cell(cells->cells[slot_plus_one - 1].value, amount);
        return;
      }
    }
    add_whole_elsewhere(amount);  // out of line, so that callers inline this function
  }

  /// Adds a non-negative amount, whole or not.
  void add(double amount) noexcept {
    // 2^64 as a double: anything below converts to uint64 exactly when it is whole.
    if (amount < 18446744073709551616.0) {
      const auto whole = static_cast<std::uint64_t>(amount);
      if (static_cast<double>(whole) == amount) {
        add_whole(whole);
        return;
      }
    }
    std::atomic<std::uint64_t>* word = bound_word();
    atomic_add_double(BENTOML_METRICS_UNLIKELY(word != nullptr) ? *word : fraction_bits_, amount);
  }

  /// Multiprocess mode: from now on the counter is the double at `word` (a mapped file's).
  /// Call before the child is published.
  void bind_shared_word(std::atomic<std::uint64_t>* word) noexcept {
    whole_.store(reinterpret_cast<std::uintptr_t>(word), std::memory_order_relaxed);
    route_.store(kMultiprocessRoute, std::memory_order_relaxed);
  }
  /// The multiprocess word the counter lives in, or null.
  [[nodiscard]] std::atomic<std::uint64_t>* bound_word() const noexcept {
    if (BENTOML_METRICS_LIKELY(route_.load(std::memory_order_relaxed) != kMultiprocessRoute)) {
      return nullptr;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): bind_shared_word stored a pointer there
    return reinterpret_cast<std::atomic<std::uint64_t>*>(
        static_cast<std::uintptr_t>(whole_.load(std::memory_order_relaxed)));
  }

  /// The exact sum of all whole increments into `total`; false (and `total` meaningless) when
  /// it does not fit 64 bits.
  [[nodiscard]] bool whole(std::uint64_t& total) const noexcept;
  /// The sum of all whole increments as a double (never wraps).
  [[nodiscard]] double whole_as_double() const noexcept;
  /// The sum of all non-integral increments (and of carries).
  [[nodiscard]] double fraction() const noexcept {
    return bits_to_double(fraction_bits_.load(std::memory_order_relaxed));
  }
  /// The counter's value.
  [[nodiscard]] double value() const noexcept { return whole_as_double() + fraction(); }

 private:
  static constexpr std::uintptr_t kCounting = 1;
  static constexpr std::uintptr_t kOwnerMask = 0xFE;
  static constexpr std::uintptr_t kNoOwner = 127;
  static constexpr int kOthersShift = 8;
  /// `others` at or past this goes to stripes: a counter that several threads write often gets
  /// its cells, one that they write now and then stays 24 bytes.
  static constexpr std::uint64_t kStripeAfter = 4096;
  static constexpr std::uintptr_t kNoOwnerBits = kNoOwner << 1;
  static constexpr std::uintptr_t kMultiprocessRoute = ~std::uintptr_t{0};

  /// The owner bits of the thread whose tls_slot_plus_one is `slot_plus_one`. No slot (-1) and
  /// no claim yet (0) give values no `route_` has: such a thread takes the slow path.
  static constexpr std::uintptr_t owner_bits(int slot_plus_one) noexcept {
    return static_cast<std::uintptr_t>(slot_plus_one) << 1;
  }
  static CounterStripes* stripes(std::uintptr_t route) noexcept {
    if ((route & kCounting) != 0) return nullptr;  // counting, or multiprocess
    // NOLINTNEXTLINE(performance-no-int-to-ptr): route_ holds the stripes' address there
    return reinterpret_cast<CounterStripes*>(route & ~std::uintptr_t{0xFF});
  }

  /// The calling thread holds the owner slot: `whole_` is its alone.
  void add_as_owner(std::uint64_t amount) noexcept { add_to_own_cell(whole_, amount); }
  /// The calling thread alone writes `cell` (the owner's `whole_`, or its stripe): a plain load
  /// and store, with the rare carry past 2^64 out of line.
  void add_to_own_cell(std::atomic<std::uint64_t>& cell, std::uint64_t amount) noexcept {
    std::uint64_t total;
    if (BENTOML_METRICS_UNLIKELY(
            __builtin_add_overflow(cell.load(std::memory_order_relaxed), amount, &total))) {
      add_carry(amount);
      return;
    }
    cell.store(total, std::memory_order_relaxed);
  }
  /// Every whole addition but the owner's (and the owner's first, which claims the counter).
  BENTOML_METRICS_NOINLINE void add_whole_elsewhere(std::uint64_t amount) noexcept;
  /// An amount that would carry a word past its width: added to the double part.
  BENTOML_METRICS_NOINLINE void add_carry(std::uint64_t amount) noexcept;
  /// Replaces the counting `route` by stripes holding its `others`; false when memory ran out.
  /// On return `route` is the current value of `route_`.
  bool install_stripes(std::uintptr_t& route) noexcept;

  std::atomic<std::uint64_t> whole_{0};
  std::atomic<std::uint64_t> fraction_bits_{0};
  std::atomic<std::uintptr_t> route_{kNoOwnerBits | kCounting};
};

}  // namespace bentoml::metrics::detail
