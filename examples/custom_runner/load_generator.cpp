#include "load_generator.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "image.hpp"

namespace custom_runner {

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

LoadGenerator::LoadGenerator(double requests_per_second, Send send, int threads)
    : rate_(requests_per_second), send_(std::move(send)), next_send_ns_(now_ns()) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] { run(static_cast<unsigned>(i)); });
  }
}

LoadGenerator::~LoadGenerator() {
  stopping_ = true;
  for (std::thread& thread : threads_) thread.join();
}

void LoadGenerator::run(unsigned thread_index) {
  std::mt19937_64 random(thread_index + 1);
  std::exponential_distribution<double> gap(rate_);
  while (!stopping_) {
    // Claim the next arrival time of the shared Poisson schedule.
    const auto step = static_cast<std::int64_t>(gap(random) * 1e9);
    const std::int64_t at = next_send_ns_.fetch_add(step);
    // Never sleep long, so that stopping is prompt.
    while (!stopping_ && now_ns() < at) {
      std::this_thread::sleep_for(
          std::chrono::nanoseconds(std::min<std::int64_t>(at - now_ns(), 50'000'000)));
    }
    if (stopping_) break;
    const std::uint64_t n = sequence_.fetch_add(1);
    const std::string body = n % 50 == 49 ? std::string(100, '\x7f')  // malformed: 400
                                          : synthetic_digit(static_cast<unsigned>(n % 64));
    send_(body);
    sent_.fetch_add(1);
  }
}

}  // namespace custom_runner
