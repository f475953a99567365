// multiprocess_aggregate: one directory written once by 8 processes x 10,000 series (2,500 each of
// counters, gauges, histograms with the default 15 buckets and summaries; 400,000 entries), then
// aggregated by this library and by /usr/bin/python3's prometheus_client
// (MultiProcessCollector + generate_latest), in the same run on the same files.
//   multiprocess_aggregate [repetitions]     prints one line per contender and the ratios
// Ours is measured cold (a fresh aggregator per scrape: every key parsed, as Python does at every
// scrape) and warm (a MultiProcessCollector scraped again: keys cached). Python's time excludes
// its start-up and import.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;

namespace {

constexpr int kProcesses = 8;
constexpr int kMetricsPerType = 10;
constexpr int kChildrenPerMetric = 250;  // 10 x 250 = 2,500 series per type and process

/// One worker process: its 10,000 series with values, then exit.
void write_process(const std::string& directory, int process) {
  multiprocess::enable({directory});
  metrics::Registry registry;
  for (int m = 0; m < kMetricsPerType; ++m) {
    const std::string suffix = std::to_string(m);
    metrics::Counter counter{{.name = "requests_" + suffix,
                              .documentation = "Requests served by endpoint and code",
                              .labelnames = {"endpoint", "code"},
                              .registry = &registry}};
    metrics::Gauge gauge{{.name = "in_progress_" + suffix,
                          .documentation = "Requests in progress",
                          .labelnames = {"endpoint", "code"},
                          .registry = &registry,
                          // half in Python's default mode (one series per process), half summed
                          .multiprocess_mode = m % 2 == 0 ? metrics::MultiprocessMode::all
                                                          : metrics::MultiprocessMode::livesum}};
    metrics::Histogram histogram{{.name = "duration_seconds_" + suffix,
                                  .documentation = "Request duration",
                                  .labelnames = {"endpoint", "code"},
                                  .registry = &registry}};
    metrics::Summary summary{{.name = "payload_bytes_" + suffix,
                              .documentation = "Payload size",
                              .labelnames = {"endpoint", "code"},
                              .registry = &registry}};
    for (int c = 0; c < kChildrenPerMetric; ++c) {
      const std::string endpoint = "/v1/models/model_" + std::to_string(c / 5) + "/predict";
      const std::string code = std::to_string(200 + c % 5);
      counter.labels({endpoint, code}).inc(process + c);
      gauge.labels({endpoint, code}).set(c % 7);
      histogram.labels({endpoint, code}).observe(0.001 * (c + process));
      summary.labels({endpoint, code}).observe(128.0 * (c % 9));
    }
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <class Run>
double time_ms(Run&& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const char* base = std::getenv("TMPDIR");
  std::string directory = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/bentoml-metrics-aggregate-XXXXXX";
  if (::mkdtemp(directory.data()) == nullptr) return 1;
  for (int process = 0; process < kProcesses; ++process) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      write_process(directory, process);
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }

  std::string text;
  std::vector<double> cold;
  for (int i = 0; i < repetitions; ++i) {
    cold.push_back(time_ms([&] {
      text.clear();
      multiprocess::write_aggregate(text, directory);
    }));
  }
  metrics::Registry registry;
  multiprocess::MultiProcessCollector collector(registry, directory);
  std::vector<double> warm;
  text = metrics::generate_latest(registry);  // fills the key cache
  for (int i = 0; i < repetitions; ++i) {
    warm.push_back(time_ms([&] { text = metrics::generate_latest(registry); }));
  }
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));

  // Python: the same directory, timed inside the interpreter (imports excluded).
  const int python_repetitions = std::min(repetitions, 3);
  const std::string script =
      "import sys, time\n"
      "from prometheus_client import CollectorRegistry, generate_latest, multiprocess\n"
      "times = []\n"
      "for _ in range(int(sys.argv[2])):\n"
      "    start = time.perf_counter()\n"
      "    registry = CollectorRegistry()\n"
      "    multiprocess.MultiProcessCollector(registry, path=sys.argv[1])\n"
      "    out = generate_latest(registry)\n"
      "    times.append((time.perf_counter() - start) * 1000)\n"
      "times.sort()\n"
      "print(times[len(times) // 2], out.count(b'\\n'))\n";
  const std::string command = "/usr/bin/python3 -c \"$BENTOML_METRICS_SCRIPT\" '" + directory +
                              "' " + std::to_string(python_repetitions);
  ::setenv("BENTOML_METRICS_SCRIPT", script.c_str(), 1);
  double python_ms = -1;
  std::size_t python_lines = 0;
  // BENTOML_METRICS_NO_PYTHON skips Python (profiling ours alone).
  FILE* python = std::getenv("BENTOML_METRICS_NO_PYTHON") ? nullptr : ::popen(command.c_str(), "r");
  if (python != nullptr) {
    if (std::fscanf(python, "%lf %zu", &python_ms, &python_lines) != 2) python_ms = -1;
    ::pclose(python);
  }
  const std::string cleanup = "rm -rf '" + directory + "'";
  [[maybe_unused]] const int removed = std::system(cleanup.c_str());

  std::printf("aggregate %d processes x 10,000 series (400,000 entries), median ms per scrape:\n",
              kProcesses);
  std::printf("  ours, cold (fresh aggregator)     %9.1f ms  (%zu lines)\n", median(cold), lines);
  std::printf("  ours, warm (MultiProcessCollector) %8.1f ms\n", median(warm));
  if (python_ms > 0) {
    std::printf("  python3 prometheus_client 0.16    %9.1f ms  (%zu lines)\n", python_ms,
                python_lines);
    std::printf("  speed-up: cold %.1fx, warm %.1fx (target >= 20x)\n", python_ms / median(cold),
                python_ms / median(warm));
  } else {
    std::printf("  python3 prometheus_client: not available\n");
  }
  return 0;
}
