// The clocks behind metrics::Timer, set_to_current_time, exemplars and `_created`
// (bentoml/metrics/timer.hpp), out of line so that the headers need no <chrono>.
#include "bentoml/metrics/timer.hpp"

#include <chrono>

namespace bentoml::metrics::detail {

std::int64_t steady_clock_nanoseconds() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
