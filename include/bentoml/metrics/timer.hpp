// RAII helpers: Timer records the seconds its scope took; InProgress counts a scope in a gauge.
//
// C++ has no decorators or `with` blocks: where Python writes `with h.time():`, C++ writes
// `{ auto timer = h.time(); ... }`. Timing uses std::chrono::steady_clock, read out of line so
// that this header (included by every metric's) spares its users C++20's large <chrono>. Moving a
// Timer moves the pending record; `observe_now()` records early (once). Neither type allocates.
#pragma once

#include <cstdint>
#include <utility>

namespace bentoml::metrics {

namespace detail {
/// std::chrono::steady_clock::now() in nanoseconds since its epoch.
std::int64_t steady_clock_nanoseconds() noexcept;
/// Seconds since the Unix epoch, as a double: set_to_current_time, exemplar and `_created`
/// timestamps.
double unix_time_now() noexcept;
/// The time truncated to whole microseconds: what a series' `_created` records (written from
/// its integer digits, with no shortest-digits search).
double unix_time_now_in_microseconds() noexcept;
}  // namespace detail

/// Records elapsed seconds into a histogram, summary or gauge when destroyed.
class [[nodiscard]] Timer {
 public:
  using Record = void (*)(void* target, double seconds) noexcept;

  Timer(Record record, void* target) noexcept
      : record_(record), target_(target), start_(detail::steady_clock_nanoseconds()) {}
  Timer(Timer&& other) noexcept
      : record_(std::exchange(other.record_, nullptr)),
        target_(other.target_),
        start_(other.start_) {}
  Timer& operator=(Timer&&) = delete;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { observe_now(); }

  /// Seconds since the timer started.
  [[nodiscard]] double elapsed() const noexcept {
    return static_cast<double>(detail::steady_clock_nanoseconds() - start_) * 1e-9;
  }
  /// Records the elapsed time now instead of at destruction; later calls do nothing.
  void observe_now() noexcept {
    if (record_ != nullptr) std::exchange(record_, nullptr)(target_, elapsed());
  }

 private:
  Record record_;
  void* target_;
  std::int64_t start_;  ///< steady_clock_nanoseconds() at construction
};

/// Adds 1 to a gauge when constructed and subtracts it when destroyed.
class [[nodiscard]] InProgress {
 public:
  using Add = void (*)(void* target, double amount) noexcept;

  InProgress(Add add, void* target) noexcept : add_(add), target_(target) { add_(target_, 1); }
  InProgress(InProgress&& other) noexcept
      : add_(std::exchange(other.add_, nullptr)), target_(other.target_) {}
  InProgress& operator=(InProgress&&) = delete;
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;
  ~InProgress() {
    if (add_ != nullptr) add_(target_, -1);
  }

 private:
  Add add_;
  void* target_;
};

}  // namespace bentoml::metrics
