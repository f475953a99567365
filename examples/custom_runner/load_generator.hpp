// The built-in load generator (--load N): N requests a second with Poisson arrivals, sent from
// a pool of threads so that requests overlap and the batcher forms batches. Every 50th request
// is a malformed image on purpose (the service answers 400), so the error panels have data.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace custom_runner {

class LoadGenerator {
 public:
  /// Sends one request body; returns the HTTP status (or the mapped gRPC status).
  using Send = std::function<int(const std::string& body)>;

  LoadGenerator(double requests_per_second, Send send, int threads = 64);
  /// Stops sending and joins the threads.
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }

 private:
  void run(unsigned thread_index);

  const double rate_;
  const Send send_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::int64_t> next_send_ns_;  // steady_clock time of the next request
  std::atomic<std::uint64_t> sequence_{0};
  std::vector<std::thread> threads_;
};

}  // namespace custom_runner
