// Counting exceptions (Python's `Counter.count_exceptions()`): a scope guard that adds 1 to a
// counter when its scope is left by an exception, and a wrapper of a callable that adds 1 when
// the callable throws (optionally only exceptions of a given type), rethrowing either way.
//
// The guard sees *that* an exception is unwinding its scope (std::uncaught_exceptions), not
// which: C++ runs destructors before any handler, so the type filter needs the wrapper, which
// catches. Thread-safety: as the counter's; a guard belongs to the thread that made it. Cost: the
// guard reads std::uncaught_exceptions() twice; neither allocates (the wrapper stores a copy of
// the callable).
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

namespace bentoml::metrics {

/// Adds 1 to a counter if destroyed while an exception thrown in its scope unwinds it.
class [[nodiscard]] ExceptionCounter {
 public:
  using Count = void (*)(void* target) noexcept;

  ExceptionCounter(Count count, void* target) noexcept
      : count_(count), target_(target), exceptions_(std::uncaught_exceptions()) {}
  ExceptionCounter(ExceptionCounter&& other) noexcept
      : count_(std::exchange(other.count_, nullptr)),
        target_(other.target_),
        exceptions_(other.exceptions_) {}
  ExceptionCounter& operator=(ExceptionCounter&&) = delete;
  ExceptionCounter(const ExceptionCounter&) = delete;
  ExceptionCounter& operator=(const ExceptionCounter&) = delete;
  ~ExceptionCounter() {
    // More exceptions in flight than at construction: this scope is being unwound by one.
    if (count_ != nullptr && std::uncaught_exceptions() > exceptions_) count_(target_);
  }

 private:
  Count count_;
  void* target_;
  int exceptions_;
};

/// `function` wrapped so that a call adds 1 to `child` when it throws `Exception` (any
/// exception when `Exception` is void) and rethrows; `Child` is a CounterChild.
template <class Exception, class Child, class Function>
class CountedCall {
 public:
  CountedCall(Child child, Function function) : child_(child), function_(std::move(function)) {}

  template <class... Args>
  decltype(auto) operator()(Args&&... args) const {
    try {
      return std::invoke(function_, std::forward<Args>(args)...);
    } catch (const std::conditional_t<std::is_void_v<Exception>, std::exception, Exception>&) {
      child_.inc();
      throw;
    } catch (...) {
      if constexpr (std::is_void_v<Exception>) child_.inc();  // not a std::exception, counted
      throw;
    }
  }

 private:
  mutable Child child_;
  Function function_;
};

}  // namespace bentoml::metrics
