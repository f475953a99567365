// scrape_histograms_oversubscribed: how long a scrape of 8 histogram children takes while 1, 2,
// 8, 32 and 120 threads observe into them as fast as they can, next to a scrape of 8 counter
// children under the same load (a counter scrape never waits for anything, so it is the floor
// the scheduler leaves), and next to 120 counter children, whose text is as long as the 8
// histograms' (8 x 30 lines), so that formatting costs the same. Row 0 is the histogram scrape
// with no writer at all. A scrape every 5 ms, as a scraper would, for a fixed time per row.
// Prints one line per thread count: p50, p99 and max of each, in milliseconds.
// Usage: oversubscribed_scrape [seconds per measurement, default 2]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

struct Latencies {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t scrapes = 0;
};

Latencies summarize(std::vector<double> milliseconds) {
  std::sort(milliseconds.begin(), milliseconds.end());
  const auto at = [&](double q) {
    return milliseconds[std::min(
        milliseconds.size() - 1,
        static_cast<std::size_t>(q * static_cast<double>(milliseconds.size())))];
  };
  return {at(0.5), at(0.99), milliseconds.back(), milliseconds.size()};
}

/// Scrapes `registry` every 5 ms for `seconds` while `threads` threads run `record(thread, i)`.
template <class Record>
Latencies measure(const metrics::Registry& registry, int threads, double seconds, Record record) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) record(t, i);
    });
  }
  std::string buffer;
  std::vector<double> latencies;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    buffer.clear();
    const auto start = std::chrono::steady_clock::now();
    metrics::write_latest(buffer, registry, metrics::Format::text_0_0_4);
    latencies.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& writer : writers) writer.join();
  return summarize(std::move(latencies));
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::printf(
      "threads histogram_p50_ms histogram_p99_ms histogram_max_ms histogram_scrapes "
      "counter_p50_ms counter_p99_ms counter_max_ms counter_scrapes "
      "same_text_counter_p50_ms same_text_counter_p99_ms same_text_counter_max_ms\n");
  for (int threads : {0, 1, 2, 8, 32, 120}) {
    metrics::Registry histograms;
    metrics::Histogram histogram{{.name = "h",
                                  .documentation = "d",
                                  .labelnames = {"child"},
                                  .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                  .registry = &histograms}};
    std::vector<metrics::HistogramChild> histogram_children;
    for (int c = 0; c < 8; ++c) histogram_children.push_back(histogram.labels({std::to_string(c)}));
    const Latencies h = measure(histograms, threads, seconds, [&](int t, unsigned i) {
      histogram_children[(static_cast<unsigned>(t) + i) % 8].observe(0.0001 * (i % 1000));
    });

    metrics::Registry counters;
    metrics::Counter counter{
        {.name = "c", .documentation = "d", .labelnames = {"child"}, .registry = &counters}};
    std::vector<metrics::CounterChild> counter_children;
    for (int c = 0; c < 8; ++c) counter_children.push_back(counter.labels({std::to_string(c)}));
    const Latencies c = measure(counters, threads, seconds, [&](int t, unsigned i) {
      counter_children[(static_cast<unsigned>(t) + i) % 8].inc();
    });
    metrics::Registry wide;
    metrics::Counter wide_counter{
        {.name = "w", .documentation = "d", .labelnames = {"child"}, .registry = &wide}};
    std::vector<metrics::CounterChild> wide_children;
    for (int w = 0; w < 120; ++w) wide_children.push_back(wide_counter.labels({std::to_string(w)}));
    const Latencies w = measure(wide, threads, seconds, [&](int t, unsigned i) {
      wide_children[(static_cast<unsigned>(t) + i) % 120].inc();
    });
    std::printf("%d %.4f %.4f %.4f %zu %.4f %.4f %.4f %zu %.4f %.4f %.4f\n", threads, h.p50, h.p99,
                h.max, h.scrapes, c.p50, c.p99, c.max, c.scrapes, w.p50, w.p99, w.max);
    std::fflush(stdout);
  }
}
