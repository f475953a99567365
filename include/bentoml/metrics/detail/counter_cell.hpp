// Internal: the storage of one counter series. Not part of the API.
//
// Design (LongAdder-like, with single-writer stripes):
// - Uncontended, a counter is 24 bytes: an exact integer part `whole_`, a double part
//   `fraction_bits_` for non-integral amounts (as client_golang's valInt/valBits), and a null
//   `stripes_` pointer. Whole increments compare-and-swap `whole_`.
// - A failed CAS means another thread wrote the same counter at the same moment. The counter then
//   gets its stripes, once: one cache-line cell per thread slot (see thread_slot.hpp) plus a shared
//   cell for threads without a slot. From then on every whole increment goes to the caller's own
//   cell with a relaxed load and store: no LOCK prefix, no cache line shared between writers.
// - The reader sums `whole_`, every cell and the fraction. Each part only grows (amounts are
//   never negative), so a read is a value the counter had between the start and end of the read.
// Integer parts are uint64, so counts stay exact past 2^53.
// - In multiprocess mode (bentoml/metrics/multiprocess.hpp) a series is one double in a
//   memory-mapped file shared with the aggregating process. `stripes_` then holds that word's
//   address with bit 0 set (stripes and mapped words are both 8-byte aligned, so a real pointer
//   never has it), set once before the child is published. Such a counter never takes the
//   uncontended branch (`stripes_` is not null); the striped path tests the bit first and adds to
//   the word with a CAS loop on its bits. So the uncontended single-process path is unchanged and
//   the contended one has one more, always-predicted, branch. A gauge does the same with its
//   `functions_` pointer (set_function is refused in multiprocess mode).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>

#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/detail/thread_slot.hpp"

namespace bentoml::metrics::detail {

/// A counter word alone on its cache line.
struct alignas(kCacheLine) PaddedWord {
  std::atomic<std::uint64_t> value{0};
};

/// The cells a contended counter spreads its increments over.
struct CounterStripes {
  PaddedWord shared;    ///< for threads without a slot: fetch_add
  PaddedWord cells[1];  ///< really thread_slot_count() cells, one writer each

  static CounterStripes* create();
  static void destroy(CounterStripes* stripes) noexcept;
};

/// Bit 0 of a counter's `stripes_` or a gauge's `functions_`: the pointer is the address of the
/// series' word in a multiprocess file, not stripes or functions.
inline constexpr std::uintptr_t kSharedWordTag = 1;

template <class Route>
bool is_shared_word(const Route* route) noexcept {
  return (reinterpret_cast<std::uintptr_t>(route) & kSharedWordTag) != 0;
}
// The tag is added and removed by byte arithmetic on the pointer (no integer-to-pointer cast).
template <class Route>
std::atomic<std::uint64_t>* shared_word(const Route* route) noexcept {
  return reinterpret_cast<std::atomic<std::uint64_t>*>(
      const_cast<char*>(reinterpret_cast<const char*>(route)) - kSharedWordTag);
}
template <class Route>
Route* tag_shared_word(std::atomic<std::uint64_t>* word) noexcept {
  return reinterpret_cast<Route*>(reinterpret_cast<char*>(word) + kSharedWordTag);
}

inline double bits_to_double(std::uint64_t bits) noexcept {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline std::uint64_t double_to_bits(double value) noexcept {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

/// Adds `amount` to the double stored as bits in `word` (CAS loop; any number of writers).
inline void atomic_add_double(std::atomic<std::uint64_t>& word, double amount) noexcept {
  std::uint64_t old_bits = word.load(std::memory_order_relaxed);
  while (!word.compare_exchange_weak(old_bits, double_to_bits(bits_to_double(old_bits) + amount),
                                     std::memory_order_relaxed)) {
  }
}

/// Adds `amount` to a word that only the calling thread writes: load and store, no LOCK prefix.
inline void single_writer_add(std::atomic<std::uint64_t>& word, std::uint64_t amount) noexcept {
  word.store(word.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

class CounterCell {
 public:
  CounterCell() = default;
  CounterCell(const CounterCell&) = delete;
  CounterCell& operator=(const CounterCell&) = delete;
  ~CounterCell() { CounterStripes::destroy(stripes_.load(std::memory_order_acquire)); }

  /// Adds a whole number. An addition that would carry a word past 2^64 goes to the double part
  /// instead (as Python holds every counter), so no part ever wraps.
  void add_whole(std::uint64_t amount) noexcept {
    CounterStripes* stripes = stripes_.load(std::memory_order_acquire);
    if (BENTOML_METRICS_LIKELY(stripes == nullptr)) {
      std::uint64_t old_value = whole_.load(std::memory_order_relaxed);
      std::uint64_t new_value;
      if (BENTOML_METRICS_UNLIKELY(__builtin_add_overflow(old_value, amount, &new_value))) {
        atomic_add_double(fraction_bits_, static_cast<double>(amount));
        return;
      }
      if (BENTOML_METRICS_LIKELY(
              whole_.compare_exchange_strong(old_value, new_value, std::memory_order_relaxed))) {
        return;
      }
      stripes = install_stripes();
      if (BENTOML_METRICS_UNLIKELY(stripes == nullptr)) {  // out of memory: stay unstriped
        add_shared(whole_, amount);
        return;
      }
    }
    if (BENTOML_METRICS_UNLIKELY(is_shared_word(stripes))) {  // multiprocess: the file's double
      atomic_add_double(*shared_word(stripes), static_cast<double>(amount));
      return;
    }
    const int slot = this_thread_slot();
    if (BENTOML_METRICS_LIKELY(slot >= 0)) {
      std::atomic<std::uint64_t>& cell = stripes->cells[slot].value;
      std::uint64_t new_value;
      if (BENTOML_METRICS_UNLIKELY(
              __builtin_add_overflow(cell.load(std::memory_order_relaxed), amount, &new_value))) {
        atomic_add_double(fraction_bits_, static_cast<double>(amount));
        return;
      }
      cell.store(new_value, std::memory_order_relaxed);  // this thread is the cell's only writer
    } else {
      add_shared(stripes->shared.value, amount);
    }
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
    const CounterStripes* route = stripes_.load(std::memory_order_relaxed);
    atomic_add_double(
        BENTOML_METRICS_UNLIKELY(is_shared_word(route)) ? *shared_word(route) : fraction_bits_,
        amount);
  }

  /// Multiprocess mode: from now on the counter is the double at `word` (a mapped file's).
  /// Call before the child is published.
  void bind_shared_word(std::atomic<std::uint64_t>* word) noexcept {
    stripes_.store(tag_shared_word<CounterStripes>(word), std::memory_order_relaxed);
  }
  /// The multiprocess word the counter lives in, or null.
  [[nodiscard]] std::atomic<std::uint64_t>* bound_word() const noexcept {
    const CounterStripes* route = stripes_.load(std::memory_order_relaxed);
    return is_shared_word(route) ? shared_word(route) : nullptr;
  }

  /// The exact sum of all whole increments into `total`; false (and `total` meaningless) when
  /// it does not fit 64 bits.
  [[nodiscard]] bool whole(std::uint64_t& total) const noexcept;
  /// The sum of all whole increments as a double (never wraps).
  [[nodiscard]] double whole_as_double() const noexcept;
  /// The sum of all non-integral increments.
  [[nodiscard]] double fraction() const noexcept {
    return bits_to_double(fraction_bits_.load(std::memory_order_relaxed));
  }
  /// The counter's value.
  [[nodiscard]] double value() const noexcept { return whole_as_double() + fraction(); }
  /// Whether writers have met here and the counter spread into stripes.
  [[nodiscard]] bool contended() const noexcept {
    const CounterStripes* route = stripes_.load(std::memory_order_relaxed);
    return route != nullptr && !is_shared_word(route);
  }

 private:
  CounterStripes* install_stripes() noexcept;
  /// Adds to a word several threads write (CAS loop), or to the double part on carry.
  void add_shared(std::atomic<std::uint64_t>& word, std::uint64_t amount) noexcept {
    std::uint64_t old_value = word.load(std::memory_order_relaxed);
    std::uint64_t new_value;
    do {
      if (__builtin_add_overflow(old_value, amount, &new_value)) {
        atomic_add_double(fraction_bits_, static_cast<double>(amount));
        return;
      }
    } while (!word.compare_exchange_weak(old_value, new_value, std::memory_order_relaxed));
  }

  std::atomic<std::uint64_t> whole_{0};
  std::atomic<std::uint64_t> fraction_bits_{0};
  std::atomic<CounterStripes*> stripes_{nullptr};
};

/// The storage of one gauge series: a double stored as bits, or a function set_function gave.
class GaugeCell {
 public:
  GaugeCell() = default;
  GaugeCell(const GaugeCell&) = delete;
  GaugeCell& operator=(const GaugeCell&) = delete;
  ~GaugeCell();

  /// The word set/inc/dec write: the cell's own, or in multiprocess mode its file's. Handles
  /// keep it, so that recording costs what it did before multiprocess mode existed.
  [[nodiscard]] std::atomic<std::uint64_t>* value_word() noexcept {
    Functions* route = functions_.load(std::memory_order_relaxed);
    return is_shared_word(route) ? shared_word(route) : &bits_;
  }
  static void set(std::atomic<std::uint64_t>& word, double value) noexcept {
    word.store(double_to_bits(value), std::memory_order_relaxed);
  }
  static void add(std::atomic<std::uint64_t>& word, double amount) noexcept {
    atomic_add_double(word, amount);
  }
  void set(double value) noexcept { set(*value_word(), value); }
  void add(double amount) noexcept { add(*value_word(), amount); }
  /// The stored value (what set/inc/dec left).
  [[nodiscard]] double value() const noexcept {
    const Functions* route = functions_.load(std::memory_order_relaxed);
    const std::atomic<std::uint64_t>& word = is_shared_word(route) ? *shared_word(route) : bits_;
    return bits_to_double(word.load(std::memory_order_relaxed));
  }
  /// Multiprocess mode: from now on the gauge is the double at `word`. Before publication.
  void bind_shared_word(std::atomic<std::uint64_t>* word) noexcept {
    functions_.store(tag_shared_word<Functions>(word), std::memory_order_relaxed);
  }
  /// Whether the gauge lives in a multiprocess file.
  [[nodiscard]] bool multiprocess() const noexcept {
    return is_shared_word(functions_.load(std::memory_order_relaxed));
  }
  /// The function's result when one is set, else the stored value.
  [[nodiscard]] double current() const;
  /// From now on, scrapes report `function()`. The replaced function is freed as soon as no
  /// scrape can be calling it (at the latest by a later set_function or the cell's end).
  void set_function(std::function<double()> function);
  /// In a child process after fork(): forgets scrapes that dead threads were running.
  void after_fork_in_child() noexcept;

 private:
  struct Function {
    std::function<double()> call;
    Function* next_retired = nullptr;
  };
  /// Allocated by the first set_function, so that a plain gauge stays two words.
  struct Functions {
    std::atomic<Function*> current{nullptr};
    std::atomic<Function*> retired{nullptr};  ///< replaced, maybe still being called
    std::atomic<int> callers{0};              ///< scrapes inside current() right now
  };
  /// The set_function state, or null (also in multiprocess mode, where the pointer is a word).
  Functions* functions() const noexcept {
    Functions* state = functions_.load(std::memory_order_acquire);
    return is_shared_word(state) ? nullptr : state;
  }
  void retire(Functions& functions, Function* chain) noexcept;

  std::atomic<std::uint64_t> bits_{0};
  std::atomic<Functions*> functions_{nullptr};
};

}  // namespace bentoml::metrics::detail
