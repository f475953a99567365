// metrics::ServiceMetrics: BentoML's built-in API server and runner metrics, for C++ services.
//
// Records what BentoML records for every request, with BentoML's names, types, labels and
// buckets, so dashboards, alerts and PromQL written for BentoML work unchanged: the in-progress
// gauge, the request counter and the request duration histogram per endpoint (API server and
// runners), and the runner's adaptive batch size histogram. Thread-safety: every member may be
// called from any number of threads. Cost: a request recorded through a RequestScope is two
// clock reads, a gauge +1/-1, a counter inc and a histogram observe on children resolved once
// per endpoint and status code: what the raw metrics cost (bench: bentoml_request/*).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bentoml/metrics/counter.hpp"
#include "bentoml/metrics/detail/config.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "bentoml/metrics/histogram.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// Which of BentoML's metric namespaces the series use.
enum class BentoNamespace {
  /// BentoML 1.2+: one namespace for everything, `bentoml_service_request_total` etc., every
  /// series labelled with `runner_name` (the service's own name for its API endpoints).
  service,
  /// BentoML 1.0 / 1.1: `bentoml_api_server_*` for API endpoints (no `runner_name`) and
  /// `bentoml_runner_*` for runners and the adaptive batch size.
  api_server_and_runner,
};

/// The transport of the API endpoints; runners always speak HTTP in BentoML.
enum class BentoTransport {
  http,
  /// BentoML 1.0 / 1.1's gRPC server labels API series `api_name` instead of `endpoint`. Under
  /// BentoNamespace::service (BentoML 1.2+ has no gRPC server) the label stays `endpoint`.
  grpc,
};

/// BentoML's `metrics.duration` configuration: the request duration buckets. All fields zero and
/// `buckets` empty: Prometheus's defaults (.005 ... 10, +Inf). `min`, `max`, `factor` set:
/// exponential_buckets(min, factor, max) (min 0.1, max 5, factor 2 gives 0.1, 0.2, 0.4, 0.8, 1.6,
/// 3.2, 5, +Inf). `buckets` set: that list. Setting both forms throws metrics::Error.
struct DurationBuckets {
  double min = 0;
  double max = 0;
  double factor = 0;
  std::vector<double> buckets;
};

/// What BentoML's gRPC server puts in `http_response_code` for a gRPC status code (0 OK: 200,
/// 3 INVALID_ARGUMENT: 400, 5 NOT_FOUND: 404, 13 INTERNAL: 500, ...; unknown codes: 500).
int http_status_from_grpc(int grpc_status_code) noexcept;

namespace detail {
/// The counter and histogram children of one endpoint and status code.
struct StatusChildren {
  CounterChild total;
  HistogramChild duration;
};
}  // namespace detail

class RequestScope;

/// The series of one endpoint (API server or runner). Obtained from ServiceMetrics, which owns
/// it; valid for the life of that ServiceMetrics.
class EndpointMetrics {
 public:
  /// Starts recording one request: +1 in progress now; when the scope ends, -1, the request
  /// counted with its status and its duration observed. See RequestScope.
  [[nodiscard]] RequestScope start() noexcept;

  /// Calls `function()` inside a RequestScope and returns its result: 200 when it returns, 500
  /// when it throws (the exception propagates). If `function` takes a `RequestScope&`, it can
  /// set another status: `call([&](RequestScope& scope) { scope.set_status(400); ... })`.
  template <class Function>
  decltype(auto) call(Function&& function);

  /// Records one finished request directly (no in-progress tracking).
  void record(int http_response_code, double seconds) noexcept;

  /// The in-progress gauge of this endpoint (for tests and dashboards).
  [[nodiscard]] double in_progress() const { return in_progress_.value(); }

  EndpointMetrics(const EndpointMetrics&) = delete;
  EndpointMetrics& operator=(const EndpointMetrics&) = delete;
  ~EndpointMetrics();

 private:
  friend class ServiceMetrics;
  friend class RequestScope;
  /// Status codes 100..599 get their children cached; others are looked up every time.
  static constexpr int kFirstCachedStatus = 100;
  static constexpr int kCachedStatuses = 500;

  EndpointMetrics(Counter& total, Histogram& duration, GaugeChild in_progress,
                  std::vector<std::string> label_values);
  /// Status codes outside the cache, or a failed allocation: look the children up each time.
  void record_uncached(int http_response_code, double seconds) noexcept;
  /// Creates and publishes the children of a cached status; null if that fails.
  detail::StatusChildren* resolve(unsigned slot) noexcept;
  void finish(int http_response_code, double seconds) noexcept {
    in_progress_.dec();
    record(http_response_code, seconds);
  }

  Counter& total_;
  Histogram& duration_;
  GaugeChild in_progress_;
  /// The label values except http_response_code, in the order of the metrics' label names
  /// (http_response_code comes last).
  std::vector<std::string> label_values_;
  std::array<std::atomic<detail::StatusChildren*>, kCachedStatuses> cache_{};
};

/// One request in progress (RAII). Set the status before the scope ends (default 200). If the
/// scope ends because an exception is propagating (std::uncaught_exceptions() grew since the
/// scope began), the request counts as 500 whatever status was set. Either way the in-progress
/// gauge goes back down.
class [[nodiscard]] RequestScope {
 public:
  /// The HTTP status to record (BentoML's http_response_code label).
  void set_status(int http_response_code) noexcept { status_ = http_response_code; }
  [[nodiscard]] int status() const noexcept { return status_; }
  /// Seconds since the scope began.
  [[nodiscard]] double elapsed() const noexcept {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  RequestScope(RequestScope&&) = delete;
  RequestScope& operator=(RequestScope&&) = delete;
  ~RequestScope() {
    const int status = std::uncaught_exceptions() > exceptions_at_start_ ? 500 : status_;
    endpoint_->finish(status, elapsed());
  }

 private:
  friend class EndpointMetrics;
  explicit RequestScope(EndpointMetrics* endpoint) noexcept
      : endpoint_(endpoint),
        exceptions_at_start_(std::uncaught_exceptions()),
        start_(std::chrono::steady_clock::now()) {
    endpoint_->in_progress_.inc();
  }

  EndpointMetrics* endpoint_;
  int status_ = 200;
  int exceptions_at_start_;
  std::chrono::steady_clock::time_point start_;
};

/// The built-in metrics of one BentoML-style service: its API endpoints, its runners' endpoints
/// and their adaptive batch sizes. Registers its metrics on construction (metrics::Error on a
/// duplicate name or bad buckets); create one per service and registry.
class ServiceMetrics {
 public:
  struct Options {
    std::string service_name;                       ///< `service_name` label; required
    std::string service_version = "not available";  ///< BentoML's value outside a bento
    BentoNamespace metric_namespace = BentoNamespace::service;
    BentoTransport transport = BentoTransport::http;
    DurationBuckets duration;  ///< request duration buckets (API server and runners)
    /// The largest max_batch_size of the batchable runner methods: the adaptive batch size
    /// buckets are exponential_buckets(1, 2, max_batch_size) (BentoML's default: 100).
    int max_batch_size = 100;
    Registry* registry = nullptr;  ///< null: default_registry()
  };

  explicit ServiceMetrics(const Options& options);
  ~ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  /// The series of an API endpoint, e.g. "/predict" (for gRPC: the API name, "predict"). The
  /// same object for the same endpoint; keep the reference (this lookup takes a mutex).
  EndpointMetrics& api_endpoint(std::string_view endpoint);
  /// The series of a runner's endpoint, e.g. ("mnist_runner", "/") for `__call__`.
  EndpointMetrics& runner_endpoint(std::string_view runner_name, std::string_view endpoint);
  /// The adaptive batch size series of a runner method: `observe(batch_size)` per batch.
  HistogramChild adaptive_batch_size(std::string_view runner_name, std::string_view method_name,
                                     int worker_index = 0);

  /// Full metric names, as exposed (a counter without `_total`).
  [[nodiscard]] const std::string& api_request_total_name() const noexcept;
  [[nodiscard]] const std::string& runner_request_total_name() const noexcept;
  [[nodiscard]] const std::string& adaptive_batch_size_name() const noexcept;
  /// The request duration buckets in use, ending with +Inf.
  [[nodiscard]] std::vector<double> duration_buckets() const;

  struct Instruments;

 private:
  Options options_;
  std::unique_ptr<Instruments> instruments_;
};

/// The duration buckets a DurationBuckets configuration stands for (with +Inf); throws
/// metrics::Error on an invalid one.
std::vector<double> resolve_duration_buckets(const DurationBuckets& duration);

// ---- inline ---------------------------------------------------------------------------------

inline RequestScope EndpointMetrics::start() noexcept { return RequestScope(this); }

inline void EndpointMetrics::record(int http_response_code, double seconds) noexcept {
  const unsigned slot = static_cast<unsigned>(http_response_code - kFirstCachedStatus);
  if (BENTOML_METRICS_UNLIKELY(slot >= static_cast<unsigned>(kCachedStatuses))) {
    record_uncached(http_response_code, seconds);
    return;
  }
  // Acquire: the children were fully constructed before the release CAS that published them.
  detail::StatusChildren* children = cache_[slot].load(std::memory_order_acquire);
  if (BENTOML_METRICS_UNLIKELY(children == nullptr)) {
    children = resolve(slot);
    if (children == nullptr) {
      record_uncached(http_response_code, seconds);
      return;
    }
  }
  children->total.inc();
  children->duration.observe(seconds);
}

template <class Function>
decltype(auto) EndpointMetrics::call(Function&& function) {
  RequestScope scope = start();
  if constexpr (std::is_invocable_v<Function, RequestScope&>) {
    return std::forward<Function>(function)(scope);
  } else {
    return std::forward<Function>(function)();
  }
}

}  // namespace bentoml::metrics
