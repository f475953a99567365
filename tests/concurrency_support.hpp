// Helpers of the concurrency tests: starting threads together, scraping in a loop while they
// record, and checking every scraped histogram for consistency.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "test_support.hpp"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define BENTOML_METRICS_TEST_SLOW 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENTOML_METRICS_TEST_SLOW 1
#endif
#endif

namespace bentoml::metrics::testing {

inline constexpr int kThreads = 4;
#if defined(BENTOML_METRICS_TEST_SLOW)
inline constexpr int kIterations = 20000;  // ThreadSanitizer: about 10x slower
inline constexpr int kMinScrapes = 10;
#else
inline constexpr int kIterations = 200000;
inline constexpr int kMinScrapes = 40;
#endif

/// Runs `body(thread_index)` on `count` threads, released together once all have started.
template <class Body>
void run_threads(int count, Body body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (int index = 0; index < count; ++index) {
    threads.emplace_back([&, index] {
      ready.fetch_add(1);
      while (ready.load() < count) std::this_thread::yield();
      body(index);
    });
  }
  for (auto& thread : threads) thread.join();
}

/// Problems found by checks on other threads, reported by the test's thread.
class Problems {
 public:
  void add(const std::string& problem) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    if (list_.size() < 10) list_.push_back(problem);
  }
  [[nodiscard]] std::string summary() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text = std::to_string(count_) + " problem(s)";
    for (const std::string& problem : list_) text += "\n  " + problem;
    return text;
  }
  [[nodiscard]] bool empty() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_ == 0;
  }

 private:
  mutable std::mutex mutex_;
  int count_ = 0;
  std::vector<std::string> list_;
};

/// Scrapes `registry` on its own thread until destroyed or stopped, parses every scrape and hands
/// it to `check` (parse errors go to `problems`).
class Scraper {
 public:
  using Check = std::function<void(const Exposition&, Problems&)>;
  Scraper(const Registry& registry, Format format, Problems& problems, Check check = {})
      : thread_([this, &registry, format, &problems, check = std::move(check)] {
          while (!stop_.load()) {
            const std::string text = generate_latest(registry, format);
            const Exposition parsed = parse_exposition(text, format);
            if (!parsed.error.empty()) {
              problems.add("unparsable scrape: " + parsed.error);
            } else if (check) {
              check(parsed, problems);
            }
            scrapes_.fetch_add(1);
          }
        }) {}
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;
  ~Scraper() { stop(); }

  void stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int scrapes() const { return scrapes_.load(); }
  /// True until `count` more scrapes than at `since` have finished.
  [[nodiscard]] bool wants_more(int since, int count = kMinScrapes) const {
    return scrapes_.load() < since + count;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> scrapes_{0};
  std::thread thread_;
};

/// Labels as a map key: `{a="x",b="y"}` without `le`.
inline std::string series_key(Labels labels) {
  labels.erase("le");
  std::string key;
  for (const auto& [name, value] : labels) key += name + "=" + value + ",";
  return key;
}

/// One histogram child read back from a scrape.
struct HistogramSeries {
  std::vector<double> bounds;      ///< the `le` values, in exposition order
  std::vector<double> cumulative;  ///< bucket values, in exposition order
  std::vector<const Sample*> bucket_samples;
  double count = -1;
  double sum = NAN;
};

/// The children of histogram (or summary) `family` in `parsed`, by series_key.
inline std::map<std::string, HistogramSeries> histogram_series(const Exposition& parsed,
                                                               const std::string& family) {
  std::map<std::string, HistogramSeries> series;
  for (const Sample& sample : parsed.samples) {
    if (sample.family != family) continue;
    HistogramSeries& child = series[series_key(sample.labels)];
    if (sample.name == family + "_bucket") {
      const std::string& le = sample.labels.at("le");
      child.bounds.push_back(le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), nullptr));
      child.cumulative.push_back(sample.value);
      child.bucket_samples.push_back(&sample);
    } else if (sample.name == family + "_count") {
      child.count = sample.value;
    } else if (sample.name == family + "_sum") {
      child.sum = sample.value;
    }
  }
  return series;
}

/// Checks one histogram child: `bucket_count` buckets in increasing `le` order ending with +Inf,
/// cumulative values never decreasing, +Inf equal to _count, and, if `bucket_value` is given
/// (the one value observed into each bucket, exactly representable sums), _sum equal to the
/// buckets' contents. Exemplars must lie in their bucket.
inline void check_histogram(const std::string& where, const HistogramSeries& series,
                            std::size_t bucket_count, const std::vector<double>& bucket_value,
                            Problems& problems) {
  if (series.cumulative.size() != bucket_count) {
    problems.add(where + ": " + std::to_string(series.cumulative.size()) + " buckets");
    return;
  }
  double expected_sum = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    const double previous = i == 0 ? 0 : series.cumulative[i - 1];
    if (i > 0 && !(series.bounds[i - 1] < series.bounds[i])) problems.add(where + ": le order");
    if (series.cumulative[i] < previous) {
      problems.add(where + ": bucket " + std::to_string(i) + " decreases");
    }
    if (!bucket_value.empty()) expected_sum += (series.cumulative[i] - previous) * bucket_value[i];
    const Sample& sample = *series.bucket_samples[i];
    if (sample.has_exemplar) {
      const double lower = i == 0 ? -HUGE_VAL : series.bounds[i - 1];
      if (!(sample.exemplar_value <= series.bounds[i] && sample.exemplar_value > lower)) {
        problems.add(where + ": exemplar outside its bucket");
      }
    }
  }
  if (!std::isinf(series.bounds.back())) problems.add(where + ": last bucket is not +Inf");
  if (series.cumulative.back() != series.count) {
    problems.add(where + ": +Inf bucket " + std::to_string(series.cumulative.back()) +
                 " != _count " + std::to_string(series.count));
  }
  if (!bucket_value.empty() && series.sum != expected_sum) {
    problems.add(where + ": _sum " + std::to_string(series.sum) +
                 " != " + std::to_string(expected_sum) + " from the buckets");
  }
}

}  // namespace bentoml::metrics::testing
