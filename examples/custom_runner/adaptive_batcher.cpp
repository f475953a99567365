#include "adaptive_batcher.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

namespace custom_runner {

namespace {
constexpr double kSmoothing = 0.2;  // weight of the newest sample in the moving averages
}

AdaptiveBatcher::AdaptiveBatcher(const Options& options, std::size_t input_size, RunBatch run,
                                 bentoml::metrics::HistogramChild batch_size)
    : options_(options),
      input_size_(input_size),
      run_(std::move(run)),
      batch_size_(batch_size),
      worker_([this] { work(); }) {}

AdaptiveBatcher::~AdaptiveBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_all();
  worker_.join();
  for (Request& request : queue_) {
    request.result.set_exception(
        std::make_exception_ptr(std::runtime_error("the batcher stopped")));
  }
}

std::future<int> AdaptiveBatcher::submit(std::vector<float> input) {
  if (input.size() != input_size_) throw std::invalid_argument("AdaptiveBatcher: input size");
  Request request{std::move(input), Clock::now(), {}};
  std::future<int> result = request.result.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw std::runtime_error("the batcher stopped");
    if (last_arrival_ != Clock::time_point{}) {
      const double gap = std::chrono::duration<double>(request.arrival - last_arrival_).count();
      interarrival_seconds_ += kSmoothing * (gap - interarrival_seconds_);
    }
    last_arrival_ = request.arrival;
    queue_.push_back(std::move(request));
  }
  arrived_.notify_one();
  return result;
}

double AdaptiveBatcher::estimated_seconds(std::size_t batch) const {
  return seconds_per_input_ * static_cast<double>(batch);
}

bool AdaptiveBatcher::dispatch_now(Clock::time_point now, Clock::time_point* wake_at) const {
  const std::size_t queued = queue_.size();
  if (queued >= static_cast<std::size_t>(options_.max_batch_size)) return true;
  const double waited = std::chrono::duration<double>(now - queue_.front().arrival).count();
  // The latest moment the oldest request can still wait for one more and meet the budget.
  const double budget = options_.max_latency_ms / 1000 - estimated_seconds(queued + 1);
  // Waiting pays while the requests queued have together waited less than the time until the
  // next one is expected (BentoML's cork rule, simplified).
  const double worth_it = interarrival_seconds_ / static_cast<double>(queued);
  const double limit = std::min(budget, worth_it);
  if (waited >= limit || interarrival_seconds_ >= budget) return true;
  *wake_at = queue_.front().arrival +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit));
  return false;
}

void AdaptiveBatcher::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    arrived_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Clock::time_point wake_at;
    while (!dispatch_now(Clock::now(), &wake_at)) {
      const std::size_t queued = queue_.size();
      arrived_.wait_until(lock, wake_at, [&] { return stopping_ || queue_.size() > queued; });
      if (stopping_) return;
    }
    const std::size_t batch =
        std::min(queue_.size(), static_cast<std::size_t>(options_.max_batch_size));
    std::vector<Request> requests;
    requests.reserve(batch);
    for (std::size_t i = 0; i < batch; ++i) {
      requests.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();

    std::vector<float> inputs;
    inputs.reserve(batch * input_size_);
    for (const Request& request : requests) {
      inputs.insert(inputs.end(), request.input.begin(), request.input.end());
    }
    batch_size_.observe(static_cast<double>(batch));
    const auto started = Clock::now();
    try {
      const std::vector<int> results = run_(inputs, static_cast<int>(batch));
      if (results.size() != batch) throw std::runtime_error("the runner returned too few results");
      for (std::size_t i = 0; i < batch; ++i) requests[i].result.set_value(results[i]);
    } catch (...) {
      for (Request& request : requests) request.result.set_exception(std::current_exception());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    lock.lock();
    seconds_per_input_ += kSmoothing * (seconds / static_cast<double>(batch) - seconds_per_input_);
  }
}

}  // namespace custom_runner
