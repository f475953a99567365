// The C++ side of tests/integration/multiprocess_test.py:
//   multiprocess_tool scenario DIR [timestamped]   records multiprocess_scenario.py's metrics
//                                                  into DIR, as that script does in Python
//   multiprocess_tool aggregate DIR [openmetrics]  prints the aggregate of DIR
// The scenario's values are dyadic (sums are exact in any order), so that aggregates computed by
// Python and by this library can be compared sample by sample.
#include <bentoml/metrics.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;

namespace {

void scenario() {
  metrics::Counter requests{{.name = "mp_requests",
                             .documentation = "Requests \"served\"\nby code \xC3\xA9",
                             .labelnames = {"path", "code"}}};
  requests.labels({"/\xC3\xA9\xF0\x9F\x98\x80", "2\"0\\0\n"}).inc(3);
  requests.labels({"/b", "500"}).inc(0.5);
  metrics::Counter plain{{.name = "mp_plain", .documentation = "plain"}};
  plain.inc();
  metrics::Counter sized{{.name = "x",
                          .documentation = "with namespace",
                          .namespace_ = "ns",
                          .subsystem = "sub",
                          .unit = "bytes"}};
  sized.inc(1024);
  const std::vector<std::pair<metrics::MultiprocessMode, std::string>> modes = {
      {metrics::MultiprocessMode::all, "all"}, {metrics::MultiprocessMode::liveall, "liveall"},
      {metrics::MultiprocessMode::min, "min"}, {metrics::MultiprocessMode::livemin, "livemin"},
      {metrics::MultiprocessMode::max, "max"}, {metrics::MultiprocessMode::livemax, "livemax"},
      {metrics::MultiprocessMode::sum, "sum"}, {metrics::MultiprocessMode::livesum, "livesum"}};
  std::vector<metrics::Gauge> gauges;
  for (std::size_t i = 0; i < modes.size(); ++i) {
    gauges.emplace_back(metrics::Gauge::Options{.name = "mp_g_" + modes[i].second,
                                                .documentation = "gauge " + modes[i].second,
                                                .labelnames = {"k"},
                                                .multiprocess_mode = modes[i].first});
    gauges.back().labels({"v"}).set(1.5 * static_cast<double>(i + 1));
    gauges.back().labels({"w"}).inc(2);
    gauges.back().labels({"w"}).dec(0.5);
  }
  metrics::Histogram latency{{.name = "mp_latency",
                              .documentation = "Latency",
                              .labelnames = {"route"},
                              .buckets = {0.005, 0.1, 1, 1e6}}};
  for (const double value : {0.0625, 2.0, 2e6}) latency.labels({"/a"}).observe(value);
  metrics::Histogram defaults{{.name = "mp_default", .documentation = "default buckets"}};
  defaults.observe(0.375);
  metrics::Summary size{{.name = "mp_size", .documentation = "Size", .labelnames = {"route"}}};
  size.labels({"/a"}).observe(512);
  size.labels({"/a"}).observe(1024);
  metrics::Summary plain_summary{{.name = "mp_plain_summary", .documentation = "plain summary"}};
  plain_summary.observe(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "scenario") == 0) {
    multiprocess::Options options{argv[2]};
    if (argc >= 4 && std::strcmp(argv[3], "timestamped") == 0) {
      options.layout = multiprocess::FileLayout::timestamped;
    }
    multiprocess::enable(options);
    scenario();
    std::printf("%d\n", static_cast<int>(::getpid()));
    return 0;
  }
  if (argc >= 3 && std::strcmp(argv[1], "aggregate") == 0) {
    const bool openmetrics = argc >= 4 && std::strcmp(argv[3], "openmetrics") == 0;
    std::string out;
    multiprocess::write_aggregate(
        out, argv[2],
        openmetrics ? metrics::Format::openmetrics_1_0_0 : metrics::Format::text_0_0_4);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "environment") == 0) {
    // The directory the environment switched on at load (an empty line: off).
    std::printf("%s\n", multiprocess::directory().c_str());
    return 0;
  }
  std::fprintf(stderr,
               "usage: %s scenario DIR [timestamped] | aggregate DIR [openmetrics] | environment\n",
               argv[0]);
  return 2;
}
