// An adaptive batcher in front of a batchable runner method, after BentoML's CorkDispatcher:
// requests queue up; one worker cuts a batch when it reaches max_batch_size, when waiting for
// one more request would exceed the latency budget (max_latency_ms, counting the estimated
// execution time of the batch), or when waiting is not worth it any more (the requests queued
// have together waited about one expected inter-arrival time). At low load a request runs
// alone at once; under load batches grow. Each batch's size is observed into BentoML's adaptive
// batch size histogram. Thread-safety: submit() from any number of threads.
#pragma once

#include <bentoml/metrics/histogram.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace custom_runner {

class AdaptiveBatcher {
 public:
  struct Options {
    int max_batch_size = 50;
    double max_latency_ms = 600;
  };
  /// Runs one batch: `batch` inputs of `input_size` floats each, one after another; returns one
  /// result per input. May throw: every request of the batch then fails with that exception.
  using RunBatch = std::function<std::vector<int>(const std::vector<float>& inputs, int batch)>;

  AdaptiveBatcher(const Options& options, std::size_t input_size, RunBatch run,
                  bentoml::metrics::HistogramChild batch_size);
  /// Stops the worker; requests still queued fail with std::runtime_error.
  ~AdaptiveBatcher();
  AdaptiveBatcher(const AdaptiveBatcher&) = delete;
  AdaptiveBatcher& operator=(const AdaptiveBatcher&) = delete;

  /// Queues one input (input_size floats); the future holds its result.
  std::future<int> submit(std::vector<float> input);

 private:
  using Clock = std::chrono::steady_clock;
  struct Request {
    std::vector<float> input;
    Clock::time_point arrival;
    std::promise<int> result;
  };

  void work();
  /// Whether the worker should cut a batch of the `queued` requests now.
  bool dispatch_now(Clock::time_point now, Clock::time_point* wake_at) const;
  double estimated_seconds(std::size_t batch) const;

  const Options options_;
  const std::size_t input_size_;
  const RunBatch run_;
  bentoml::metrics::HistogramChild batch_size_;

  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  Clock::time_point last_arrival_{};
  double interarrival_seconds_ = 1.0;  // moving average; large until traffic is seen
  double seconds_per_input_ = 0.0005;  // moving average of batch time / batch size
  std::thread worker_;
};

}  // namespace custom_runner
