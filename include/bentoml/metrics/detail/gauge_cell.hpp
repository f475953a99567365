// Internal: the storage of one gauge series. Not part of the API.
//
// A gauge is a double stored as bits, written with plain stores (set) or a CAS loop (inc, dec).
// set_function() hangs a Functions record on `functions_`; replaced functions are reclaimed
// without a lock (gauge_cell.cpp). In multiprocess mode (bentoml/metrics/multiprocess.hpp) the gauge
// is one double in a memory-mapped file shared with the aggregating process: `functions_` then
// holds that word's address with bit 0 set (records and mapped words are both 8-byte aligned, so
// a real pointer never has it), set once before the child is published; set_function is refused
// in that mode.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "bentoml/metrics/detail/double_bits.hpp"

namespace bentoml::metrics::detail {

/// Bit 0 of a gauge's `functions_`: the pointer is the address of the series' word in a
/// multiprocess file, not a Functions record.
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
