// The clock behind metrics::Timer (bentoml/metrics/timer.hpp), out of line so that the header
// needs no <chrono>.
#include "bentoml/metrics/timer.hpp"

#include <chrono>

namespace bentoml::metrics::detail {

std::int64_t steady_clock_nanoseconds() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace bentoml::metrics::detail
