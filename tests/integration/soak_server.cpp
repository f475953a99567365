// The soak test's service (soak_test.py): 10,000 series, 2,500 of each of counter, gauge,
// histogram and summary, served by Exposer on 127.0.0.1 and a free port. Prints "port N" and
// "rss_start KB" once listening (every series made and scraped once), then:
//   - `--record-threads` threads record into random series of all four types, counting what
//     each adds (whole increments, so the totals are exact);
//   - one thread makes and removes children of a fifth family, over 1,000 label sets (removed
//     children are kept for revival, so memory is bounded by the distinct label sets);
// until stdin says "stop". Then it stops those threads and prints "rss_end KB", the exact
// expected totals ("expect <what> <value>") and "stopped"; it serves until stdin closes.
//
//   soak_server [--record-threads N]
#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace metrics = bentoml::metrics;

namespace {

constexpr int kPerType = 2500;  // x 4 types = 10,000 series
constexpr int kChurnSets = 1000;

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      status >> kb;
      return kb;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  int record_threads = 2;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--record-threads") record_threads = std::atoi(argv[i + 1]);
  }
  metrics::Registry registry;
  metrics::Counter counter{{.name = "soak_requests", .documentation = "Requests.",
                            .labelnames = {"id"}, .registry = &registry}};
  metrics::Gauge gauge{{.name = "soak_in_flight", .documentation = "In flight.",
                        .labelnames = {"id"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "soak_latency_seconds", .documentation = "Latency.",
                                .labelnames = {"id"}, .registry = &registry}};
  metrics::Summary summary{{.name = "soak_size_bytes", .documentation = "Size.",
                            .labelnames = {"id"}, .registry = &registry}};
  metrics::Gauge churn{{.name = "soak_churn", .documentation = "Made and removed.",
                        .labelnames = {"id"}, .registry = &registry}};
  std::vector<metrics::Counter::Child> counters;
  std::vector<metrics::Gauge::Child> gauges;
  std::vector<metrics::Histogram::Child> histograms;
  std::vector<metrics::Summary::Child> summaries;
  for (int i = 0; i < kPerType; ++i) {
    const std::string id = std::to_string(i);
    counters.push_back(counter.labels({id}));
    gauges.push_back(gauge.labels({id}));
    histograms.push_back(histogram.labels({id}));
    summaries.push_back(summary.labels({id}));
  }
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 4;
  metrics::Exposer exposer{options};
  (void)metrics::generate_latest(registry);
  std::printf("port %d\nrss_start %ld\n", exposer.port(), rss_kb());
  std::fflush(stdout);

  std::atomic<bool> running{true};
  std::vector<std::thread> threads;
  struct Totals {
    long counter = 0, gauge = 0, histogram = 0, summary = 0;
  };
  std::vector<Totals> totals(static_cast<std::size_t>(record_threads));
  for (int t = 0; t < record_threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) + 1);
      Totals& mine = totals[static_cast<std::size_t>(t)];
      while (running.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 1000; ++i) {
          const std::size_t series = random() % kPerType;
          switch (random() % 4) {
            case 0: counters[series].inc(); ++mine.counter; break;
            case 1: gauges[series].inc(); ++mine.gauge; break;
            case 2: histograms[series].observe(0.001 * static_cast<double>(random() % 2000));
                    ++mine.histogram; break;
            default: summaries[series].observe(static_cast<double>(random() % 100));
                     ++mine.summary; break;
          }
        }
      }
    });
  }
  long churned = 0;
  threads.emplace_back([&] {
    std::mt19937 random(99);
    while (running.load(std::memory_order_relaxed)) {
      const std::string id = std::to_string(random() % kChurnSets);
      churn.labels({id}).set(1);
      churn.remove({id});
      ++churned;
    }
  });
  std::string line;
  while (std::getline(std::cin, line) && line != "stop") {
  }
  running = false;
  for (auto& thread : threads) thread.join();
  Totals sum;
  for (const Totals& t : totals) {
    sum.counter += t.counter;
    sum.gauge += t.gauge;
    sum.histogram += t.histogram;
    sum.summary += t.summary;
  }
  std::printf("rss_end %ld\nchurned %ld\n", rss_kb(), churned);
  std::printf("expect soak_requests_total %ld\nexpect soak_in_flight %ld\n", sum.counter,
              sum.gauge);
  std::printf("expect soak_latency_seconds_count %ld\nexpect soak_size_bytes_count %ld\n",
              sum.histogram, sum.summary);
  std::printf("stopped\n");
  std::fflush(stdout);
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
