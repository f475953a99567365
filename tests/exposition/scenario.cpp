// The fixed metrics scenarios of the exposition conformance tests.
//
//   exposition_scenario FORMAT [SCENARIO]    FORMAT: text | openmetrics
//                                            SCENARIO: main (default) | negative_buckets |
//                                                      differences
//   exposition_scenario buckets KIND START FACTOR_OR_STEP END     KIND: exponential | linear
//
// The first form prints generate_latest of one registry. python_scenario.py builds the same
// metrics with prometheus_client, statement for statement and in the same order: keep the two files
// in step. The second form prints, in text format, a histogram whose buckets are
// metrics::exponential_buckets / linear_buckets of the arguments (parsed with strtod, so they are
// the doubles Python's float() makes of the same strings). compare_with_python.py judges both.
#include <bentoml/metrics.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace metrics = bentoml::metrics;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The twin of GAUGE_VALUES in python_scenario.py.
const std::vector<std::pair<std::string, double>>& gauge_values() {
  static const std::vector<std::pair<std::string, double>> values = {
      {"nan", kNaN},
      {"inf", kInf},
      {"minus_inf", -kInf},
      {"negative", -12.5},
      {"negative_zero", -0.0},
      {"zero", 0.0},
      {"large", 123456789.0},
      {"negative_large", -123456789.0},
      {"million", 1e6},
      {"below_million", 999999.0},
      {"e15", 1e15},
      {"e16", 1e16},
      {"huge", 1e22},
      {"fractional_large", 12345678901.5},
      {"max", 1.7976931348623157e308},
      {"tiny", 0.00001},
      {"small", 0.0001},
      {"negative_tiny", -1e-05},
      {"denormal", 5e-324},
      {"sum_of_tenths", 0.1 + 0.2},
      {"third", 1.0 / 3},
      {"escaped", 1},
      {"quote\"back\\slash\nnewline ünï", 2},
      {"", 3},
      {"emoji 😀 中文", 4},
      {"tab\there cr\rhere", 5},
      {"trailing backslash\\", 6},
  };
  return values;
}

void main_scenario(metrics::Registry& registry) {
  metrics::Counter requests{{.name = "requests_total",
                             .documentation = "Requests served",
                             .labelnames = {"code", "method"},
                             .registry = &registry}};
  requests.labels({"200", "GET"}).inc();
  requests.labels({"200", "GET"}).inc(2.5);
  requests.labels({{"method", "POST"}, {"code", "500"}}).inc(0.1);
  requests.labels({"404", "GET"}).inc();
  requests.remove({"404", "GET"});

  metrics::Counter jobs{{.name = "jobs", .documentation = "Jobs done", .registry = &registry}};
  jobs.inc(7);

  metrics::Counter fractional{{.name = "fractional",
                               .documentation = "Fractional increments",
                               .labelnames = {"case"},
                               .registry = &registry}};
  for (double amount : {0.1, 0.2, 0.7, 0.7, 0.7, 1e-9, 3.0}) {
    fractional.labels({"mixed"}).inc(amount);
  }
  for (int i = 0; i < 10; ++i) fractional.labels({"tenths"}).inc(0.1);
  fractional.labels({"large"}).inc(1234567);
  fractional.labels({"zero"}).inc(0);

  metrics::Counter sent{{.name = "sent_bytes_total",
                         .documentation = "Bytes sent",
                         .namespace_ = "svc",
                         .unit = "bytes",
                         .registry = &registry}};
  sent.inc(4096);

  metrics::Gauge temperature{{.name = "temperature",
                              .documentation = "Température, °C — ünï",
                              .labelnames = {"sensor"},
                              .namespace_ = "plant",
                              .subsystem = "boiler",
                              .unit = "celsius",
                              .registry = &registry}};
  for (const auto& [sensor, value] : gauge_values()) temperature.labels({sensor}).set(value);

  metrics::Gauge memory{{.name = "memory_bytes",
                         .documentation = "Resident memory",
                         .unit = "bytes",
                         .registry = &registry}};
  memory.inc(1024);
  memory.dec(24.5);
  metrics::Gauge rate{{.name = "job:requests:rate5m",
                       .documentation = "A recording-rule style name",
                       .registry = &registry}};
  rate.set(0.25);

  metrics::Gauge help_escapes{
      {.name = "help_escapes",
       .documentation = "Help with back\\slash and\nnewline and \"quotes\" \\",
       .registry = &registry}};
  help_escapes.set(3);
  metrics::Gauge empty_help{{.name = "empty_help", .documentation = "", .registry = &registry}};
  empty_help.set(1);

  metrics::Gauge unused{{.name = "unused",
                         .documentation = "No children yet",
                         .labelnames = {"a"},
                         .registry = &registry}};
  metrics::Counter cleared{{.name = "cleared",
                            .documentation = "Cleared, then one child again",
                            .labelnames = {"x"},
                            .registry = &registry}};
  cleared.labels({"1"}).inc();
  cleared.labels({"2"}).inc();
  cleared.clear();
  cleared.labels({"3"}).inc(3);

  metrics::Gauge queue{{.name = "queue_depth",
                        .documentation = "Queue depth",
                        .labelnames = {"queue", "_shard"},
                        .registry = &registry}};
  queue.labels({"b", "1"}).set(2);
  queue.labels({{"_shard", "0"}, {"queue", "a"}}).set(1);
  queue.labels({"c", "2"}).set(3);
  queue.remove({"b", "1"});

  metrics::Histogram inference_duration{{.name = "inference_duration",
                                         .documentation = "Duration of inference",
                                         .labelnames = {"torch_version", "device_id"},
                                         .buckets = metrics::exponential_buckets(0.001, 1.5, 10.0),
                                         .registry = &registry}};
  for (double value : {0.0005, 0.001, 0.0012, 0.0015, 0.00225, 0.0022500000000000003, 0.012, 0.3,
                       2.0, 9.99, 10.0, 11.0, 0.0}) {
    inference_duration.labels({"2.1.0", "cuda:0"}).observe(value);
  }
  inference_duration.labels({{"device_id", "cuda:1"}, {"torch_version", "2.1.0"}}).observe(0.05);

  metrics::Histogram defaults{{.name = "request_latency",
                               .documentation = "Latency",
                               .unit = "seconds",
                               .registry = &registry}};
  defaults.observe(0.3);
  defaults.observe(0.007);

  metrics::Histogram idle{{.name = "idle",
                           .documentation = "Never observed",
                           .buckets = {1, 2},
                           .registry = &registry}};

  metrics::Histogram linear{{.name = "linear",
                             .documentation = "Linear buckets",
                             .buckets = metrics::linear_buckets(0.1, 0.1, 0.5),
                             .registry = &registry}};
  linear.observe(0.25);
  metrics::Histogram sizes{{.name = "response_size",
                            .documentation = "Response sizes",
                            .unit = "bytes",
                            .buckets = metrics::exponential_buckets(1000, 10, 1e16),
                            .registry = &registry}};
  for (double value : {512.0, 2e6, 3e12, 2e16}) sizes.observe(value);

  metrics::Summary payload{{.name = "payload",
                            .documentation = "Payload size",
                            .labelnames = {"route"},
                            .unit = "bytes",
                            .registry = &registry}};
  payload.labels({"/predict"}).observe(512);
  payload.labels({"/predict"}).observe(1024.5);
  payload.labels({"/health"}).observe(0);
  metrics::Summary idle_payload{
      {.name = "idle_payload", .documentation = "Never observed", .registry = &registry}};

  metrics::Histogram traced{{.name = "traced",
                             .documentation = "With exemplars",
                             .buckets = {0.1, 1, 1e7},
                             .registry = &registry}};
  traced.observe(0.05, {{"trace_id", "abc123"}});
  traced.observe(0.07, {{"trace_id", "abc124"}});
  traced.observe(0.5, {{"trace_id", "def456"}, {"span_id", "s1"}});
  traced.observe(1234567.0, {{"trace_id", "quote\"back\\slash\nnewline ünï"}});
  std::string long_value;
  for (int i = 0; i < 120; ++i) long_value += "é";  // with "trace_id": 128 characters exactly
  traced.observe(2e7, {{"trace_id", long_value}});
  traced.observe(0.08);
  metrics::Counter traced_counter{
      {.name = "traced_events", .documentation = "Counted with exemplar", .registry = &registry}};
  traced_counter.inc(2, {{"trace_id", "ghi789"}});
  traced_counter.inc(0.5);
  metrics::Counter traced_labelled{{.name = "traced_requests_total",
                                    .documentation = "Counted with exemplar, labelled",
                                    .labelnames = {"code"},
                                    .registry = &registry}};
  traced_labelled.labels({"200"}).inc(1, {{"trace_id", "jkl"}});
  traced_labelled.labels({"200"}).inc(1, {{"trace_id", "mno"}});
  traced_labelled.labels({"500"}).inc();

  // Info and Enum, with and without labels; escaping in info values; the Enum's own label
  // sorted among the others.
  metrics::Info build{
      {.name = "build", .documentation = "Build information", .registry = &registry}};
  build.info({{"version", "1.2.3"}, {"commit", "quote\"back\\slash\nnewline"}});
  metrics::Info runner{{.name = "runner",
                        .documentation = "Runner information",
                        .labelnames = {"runner_name"},
                        .registry = &registry}};
  runner.labels({"iris"}).info({{"device", "cuda:0"}, {"zz", "last"}, {"a", "first"}});
  (void)runner.labels({"empty"});
  metrics::Enum task_state{{.name = "task_state",
                            .documentation = "Task state",
                            .states = {"starting", "running", "stopped"},
                            .registry = &registry}};
  task_state.state("running");
  metrics::Enum worker{{.name = "worker_state",
                        .documentation = "Worker state",
                        .labelnames = {"worker", "zone"},
                        .states = {"idle", "busy"},
                        .registry = &registry}};
  worker.labels({"w1", "a"}).state("busy");
  (void)worker.labels({"w2", "b"});
}

void negative_buckets_scenario(metrics::Registry& registry) {
  metrics::Histogram delta{{.name = "temperature_delta",
                            .documentation = "Change",
                            .buckets = {-1, 0, 1},
                            .registry = &registry}};
  delta.observe(-0.5);
  delta.observe(0.5);
  delta.observe(-3);
}

// Where the library intentionally differs from prometheus_client (docs/design.md); the check
// `differences` asserts that these are the only differing lines, and how they differ.
void differences_scenario(metrics::Registry& registry) {
  metrics::Counter exact{
      {.name = "exact", .documentation = "Counter past 2^53", .registry = &registry}};
  exact.inc(9007199254740992.0);
  exact.inc(1);
  metrics::Histogram nan_observed{{.name = "nan_observed",
                                   .documentation = "NaN observation",
                                   .buckets = {1},
                                   .registry = &registry}};
  nan_observed.observe(0.5);
  nan_observed.observe(kNaN);
  metrics::Counter revived{{.name = "revived",
                            .documentation = "Removed and used again",
                            .labelnames = {"k"},
                            .registry = &registry}};
  revived.labels({"a"}).inc(5);
  revived.labels({"b"}).inc(2);
  revived.remove({"a"});
  revived.labels({"a"}).inc(1);
  metrics::Counter nan_counter{
      {.name = "nan_increment", .documentation = "A NaN increment", .registry = &registry}};
  nan_counter.inc(1);
  try {
    nan_counter.inc(kNaN);
    std::fputs("nan_increment: inc(NaN) was accepted\n", stderr);
  } catch (const metrics::Error&) {  // the documented behaviour: rejected, nothing recorded
  }
}

int print(const metrics::Registry& registry, metrics::Format format) {
  const std::string text = metrics::generate_latest(registry, format);
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() ? 0 : 1;
}

int usage() {
  std::fputs(
      "usage: exposition_scenario text|openmetrics [main|negative_buckets|differences]\n"
      "       exposition_scenario buckets exponential|linear START FACTOR_OR_STEP END\n",
      stderr);
  return 2;
}

int run(int argc, char** argv) {
  if (argc == 6 && std::strcmp(argv[1], "buckets") == 0) {
    const double start = std::strtod(argv[3], nullptr);
    const double middle = std::strtod(argv[4], nullptr);
    const double end = std::strtod(argv[5], nullptr);
    const bool exponential = std::strcmp(argv[2], "exponential") == 0;
    if (!exponential && std::strcmp(argv[2], "linear") != 0) return usage();
    metrics::Registry registry;
    metrics::Histogram bounds{{.name = "bounds",
                               .documentation = "Bucket bounds",
                               .buckets = exponential
                                              ? metrics::exponential_buckets(start, middle, end)
                                              : metrics::linear_buckets(start, middle, end),
                               .registry = &registry}};
    return print(registry, metrics::Format::text_0_0_4);
  }
  if (argc < 2 || argc > 3) return usage();
  metrics::Format format;
  if (std::strcmp(argv[1], "text") == 0) {
    format = metrics::Format::text_0_0_4;
  } else if (std::strcmp(argv[1], "openmetrics") == 0) {
    format = metrics::Format::openmetrics_1_0_0;
  } else {
    return usage();
  }
  const std::string scenario = argc == 3 ? argv[2] : "main";
  metrics::Registry registry;
  if (scenario == "main") {
    main_scenario(registry);
  } else if (scenario == "negative_buckets") {
    negative_buckets_scenario(registry);
  } else if (scenario == "differences") {
    differences_scenario(registry);
  } else {
    return usage();
  }
  return print(registry, format);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const metrics::Error& error) {
    std::fprintf(stderr, "metrics::Error: %s\n", error.what());
    return 3;
  }
}
