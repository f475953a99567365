// ServiceMetrics: registration of BentoML's built-in metrics and the slow paths of recording.
#include "bentoml/metrics/bentoml_service.hpp"

#include <charconv>
#include <cmath>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "bentoml/metrics/buckets.hpp"
#include "bentoml/metrics/error.hpp"

namespace bentoml::metrics {

namespace {

/// The label values of a request series, http_response_code last: the metric's label names
/// are in the same order. Label lists have 4 or 5 entries (with or without runner_name).
template <class Child, class Metric>
Child child_with_status(Metric& metric, const std::vector<std::string>& values,
                        std::string_view status) {
  if (values.size() == 3) return metric.labels({values[0], values[1], values[2], status});
  return metric.labels({values[0], values[1], values[2], values[3], status});
}

std::string status_text(int http_response_code) {
  char buffer[16];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, http_response_code);
  return std::string(buffer, result.ptr);
}

/// One set of request metrics: what BentoML registers per namespace (API server or runner).
struct RequestFamily {
  std::unique_ptr<Counter> total;
  std::unique_ptr<Histogram> duration;
  std::unique_ptr<Gauge> in_progress;
  bool has_runner_name = false;
};

/// `first_label` is `endpoint` (or `api_name` for BentoML 1.0/1.1's gRPC server).
RequestFamily make_request_family(const std::string& namespace_, const std::string& first_label,
                                  bool has_runner_name, const std::vector<double>& buckets,
                                  Registry* registry, const char* what) {
  // Label names in the order the values are given; the exposition sorts them by name.
  std::vector<std::string> labelnames = {first_label, "service_name", "service_version"};
  if (has_runner_name) labelnames.push_back("runner_name");
  std::vector<std::string> with_status = labelnames;
  with_status.push_back("http_response_code");
  const std::string subject = what;

  RequestFamily family;
  family.has_runner_name = has_runner_name;
  Histogram::Options duration;
  duration.name = "request_duration_seconds";
  duration.namespace_ = namespace_;
  duration.documentation = subject + " request duration in seconds";
  duration.labelnames = with_status;
  duration.buckets = buckets;
  duration.registry = registry;
  family.duration = std::make_unique<Histogram>(duration);

  Counter::Options total;
  total.name = "request_total";
  total.namespace_ = namespace_;
  total.documentation = "Total number of " + subject + " requests";
  total.labelnames = with_status;
  total.registry = registry;
  family.total = std::make_unique<Counter>(total);

  Gauge::Options in_progress;
  in_progress.name = "request_in_progress";
  in_progress.namespace_ = namespace_;
  in_progress.documentation = "Total number of " + subject + " requests in progress now";
  in_progress.labelnames = labelnames;
  in_progress.registry = registry;
  family.in_progress = std::make_unique<Gauge>(in_progress);
  return family;
}

}  // namespace

int http_status_from_grpc(int grpc_status_code) noexcept {
  // google.rpc.Code's documented HTTP mapping, as BentoML's to_http_status uses it.
  switch (grpc_status_code) {
    case 0:
      return 200;  // OK
    case 1:
      return 499;  // CANCELLED
    case 2:
      return 500;  // UNKNOWN
    case 3:
      return 400;  // INVALID_ARGUMENT
    case 4:
      return 504;  // DEADLINE_EXCEEDED
    case 5:
      return 404;  // NOT_FOUND
    case 6:
      return 409;  // ALREADY_EXISTS
    case 7:
      return 403;  // PERMISSION_DENIED
    case 8:
      return 429;  // RESOURCE_EXHAUSTED
    case 9:
      return 400;  // FAILED_PRECONDITION
    case 10:
      return 409;  // ABORTED
    case 11:
      return 400;  // OUT_OF_RANGE
    case 12:
      return 501;  // UNIMPLEMENTED
    case 13:
      return 500;  // INTERNAL
    case 14:
      return 503;  // UNAVAILABLE
    case 15:
      return 500;  // DATA_LOSS
    case 16:
      return 401;  // UNAUTHENTICATED
    default:
      return 500;
  }
}

std::vector<double> resolve_duration_buckets(const DurationBuckets& duration) {
  const bool exponential = duration.min != 0 || duration.max != 0 || duration.factor != 0;
  if (exponential && !duration.buckets.empty()) {
    throw Error("metrics.duration: give either buckets or min/max/factor, not both");
  }
  if (!duration.buckets.empty()) {
    std::vector<double> buckets = duration.buckets;
    if (!std::isinf(buckets.back())) buckets.push_back(HUGE_VAL);
    return buckets;
  }
  if (!exponential) return default_buckets();
  if (!(duration.min > 0 && duration.max > duration.min && duration.factor > 1)) {
    throw Error("metrics.duration: need 0 < min < max and factor > 1, got min " +
                std::to_string(duration.min) + ", max " + std::to_string(duration.max) +
                ", factor " + std::to_string(duration.factor));
  }
  return exponential_buckets(duration.min, duration.factor, duration.max);
}

// ---- EndpointMetrics ------------------------------------------------------------------------

EndpointMetrics::EndpointMetrics(Counter& total, Histogram& duration, GaugeChild in_progress,
                                 std::vector<std::string> label_values)
    : total_(total),
      duration_(duration),
      in_progress_(in_progress),
      label_values_(std::move(label_values)) {}

EndpointMetrics::~EndpointMetrics() {
  for (auto& slot : cache_) delete slot.load(std::memory_order_acquire);
}

detail::StatusChildren* EndpointMetrics::resolve(unsigned slot) noexcept {
  try {
    const std::string status = status_text(static_cast<int>(slot) + kFirstCachedStatus);
    auto children = std::make_unique<detail::StatusChildren>(detail::StatusChildren{
        child_with_status<CounterChild>(total_, label_values_, status),
        child_with_status<HistogramChild>(duration_, label_values_, status)});
    detail::StatusChildren* expected = nullptr;
    // Release: a reader that acquires the pointer sees the children constructed. The loser of
    // a race frees its copy and uses the winner's (both name the same series).
    if (cache_[slot].compare_exchange_strong(expected, children.get(), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
      return children.release();
    }
    return expected;
  } catch (...) {
    return nullptr;
  }
}

void EndpointMetrics::record_uncached(int http_response_code, double seconds) noexcept {
  try {
    const std::string status = status_text(http_response_code);
    child_with_status<CounterChild>(total_, label_values_, status).inc();
    child_with_status<HistogramChild>(duration_, label_values_, status).observe(seconds);
  } catch (...) {
    // Out of memory creating a series: the request goes unrecorded rather than crash the
    // service from a destructor.
  }
}

// ---- ServiceMetrics -------------------------------------------------------------------------

struct ServiceMetrics::Instruments {
  RequestFamily api;
  RequestFamily runner;  // the same metrics as `api` under BentoNamespace::service
  bool runner_is_api = false;
  std::unique_ptr<Histogram> adaptive_batch_size;
  std::mutex mutex;  // guards endpoints (creation only)
  std::deque<std::pair<std::string, std::unique_ptr<EndpointMetrics>>> endpoints;
  std::vector<double> duration_buckets;
};

ServiceMetrics::ServiceMetrics(const Options& options)
    : options_(options), instruments_(std::make_unique<Instruments>()) {
  if (options_.service_name.empty()) {
    throw Error("ServiceMetrics: service_name is required (the service_name label)");
  }
  if (options_.max_batch_size < 1) {
    throw Error("ServiceMetrics: max_batch_size must be at least 1, got " +
                std::to_string(options_.max_batch_size));
  }
  Instruments& in = *instruments_;
  in.duration_buckets = resolve_duration_buckets(options_.duration);
  std::vector<double> batch_buckets = {1.0, HUGE_VAL};
  if (options_.max_batch_size > 1) {
    batch_buckets = exponential_buckets(1, 2, options_.max_batch_size);
  }

  std::string runner_namespace;
  if (options_.metric_namespace == BentoNamespace::service) {
    runner_namespace = "bentoml_service";
    in.api = make_request_family(runner_namespace, "endpoint", true, in.duration_buckets,
                                 options_.registry, "API HTTP");
    in.runner_is_api = true;
  } else {
    runner_namespace = "bentoml_runner";
    const bool grpc = options_.transport == BentoTransport::grpc;
    in.api =
        make_request_family("bentoml_api_server", grpc ? "api_name" : "endpoint", false,
                            in.duration_buckets, options_.registry, grpc ? "API gRPC" : "API HTTP");
    in.runner = make_request_family(runner_namespace, "endpoint", true, in.duration_buckets,
                                    options_.registry, "runner RPC");
  }
  Histogram::Options batch;
  batch.name = "adaptive_batch_size";
  batch.namespace_ = runner_namespace;
  batch.documentation = options_.metric_namespace == BentoNamespace::service
                            ? "Service adaptive batch size"
                            : "Runner adaptive batch size";
  batch.labelnames = {"runner_name", "worker_index", "method_name", "service_version",
                      "service_name"};
  batch.buckets = std::move(batch_buckets);
  batch.registry = options_.registry;
  in.adaptive_batch_size = std::make_unique<Histogram>(batch);
}

ServiceMetrics::~ServiceMetrics() = default;

namespace {

EndpointMetrics* find(
    const std::deque<std::pair<std::string, std::unique_ptr<EndpointMetrics>>>& endpoints,
    const std::string& key) {
  for (const auto& [name, endpoint] : endpoints) {
    if (name == key) return endpoint.get();
  }
  return nullptr;
}

}  // namespace

EndpointMetrics& ServiceMetrics::api_endpoint(std::string_view endpoint) {
  // BentoML 1.2+ labels the service's own endpoints with runner_name = the service's name.
  if (instruments_->runner_is_api) return runner_endpoint(options_.service_name, endpoint);
  Instruments& in = *instruments_;
  const std::string key = "api\n" + std::string(endpoint);
  std::lock_guard<std::mutex> lock(in.mutex);
  if (EndpointMetrics* existing = find(in.endpoints, key)) return *existing;
  std::vector<std::string> values = {std::string(endpoint), options_.service_name,
                                     options_.service_version};
  GaugeChild gauge = in.api.in_progress->labels({values[0], values[1], values[2]});
  std::unique_ptr<EndpointMetrics> metrics(
      new EndpointMetrics(*in.api.total, *in.api.duration, gauge, std::move(values)));
  in.endpoints.emplace_back(key, std::move(metrics));
  return *in.endpoints.back().second;
}

EndpointMetrics& ServiceMetrics::runner_endpoint(std::string_view runner_name,
                                                 std::string_view endpoint) {
  Instruments& in = *instruments_;
  RequestFamily& family = in.runner_is_api ? in.api : in.runner;
  const std::string key = "runner\n" + std::string(runner_name) + "\n" + std::string(endpoint);
  std::lock_guard<std::mutex> lock(in.mutex);
  if (EndpointMetrics* existing = find(in.endpoints, key)) return *existing;
  std::vector<std::string> values = {std::string(endpoint), options_.service_name,
                                     options_.service_version, std::string(runner_name)};
  GaugeChild gauge = family.in_progress->labels({values[0], values[1], values[2], values[3]});
  std::unique_ptr<EndpointMetrics> metrics(
      new EndpointMetrics(*family.total, *family.duration, gauge, std::move(values)));
  in.endpoints.emplace_back(key, std::move(metrics));
  return *in.endpoints.back().second;
}

HistogramChild ServiceMetrics::adaptive_batch_size(std::string_view runner_name,
                                                   std::string_view method_name, int worker_index) {
  const std::string worker = std::to_string(worker_index);
  return instruments_->adaptive_batch_size->labels(
      {runner_name, worker, method_name, options_.service_version, options_.service_name});
}

const std::string& ServiceMetrics::api_request_total_name() const noexcept {
  return instruments_->api.total->name();
}

const std::string& ServiceMetrics::runner_request_total_name() const noexcept {
  return (instruments_->runner_is_api ? instruments_->api : instruments_->runner).total->name();
}

const std::string& ServiceMetrics::adaptive_batch_size_name() const noexcept {
  return instruments_->adaptive_batch_size->name();
}

std::vector<double> ServiceMetrics::duration_buckets() const {
  return instruments_->duration_buckets;
}

}  // namespace bentoml::metrics
