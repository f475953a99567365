// prefork: a pre-fork service with one /metrics for all its workers (multiprocess mode).
//
// The parent binds the service's socket, defines the metrics, forks N workers that accept and
// answer requests on that socket, and serves /metrics itself: the aggregate of the files every
// worker writes into the multiprocess directory. A worker that dies is reaped, marked dead (its
// live gauges leave the aggregate) and replaced.
//
//   PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) prefork --workers 4 --port 8080 --metrics-port 9100
//   curl 127.0.0.1:8080/predict      # answered by one of the workers
//   curl 127.0.0.1:9100/metrics      # every worker's requests, summed
//
// Options: --workers N (default 4), --port P (8080), --metrics-port M (9100), --seconds S (run
// for S seconds; default until SIGINT/SIGTERM), --dir DIR (instead of PROMETHEUS_MULTIPROC_DIR).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace metrics = bentoml::metrics;
namespace multiprocess = bentoml::metrics::multiprocess;

namespace {

volatile std::sig_atomic_t stopping = 0;
void on_signal(int) { stopping = 1; }

/// The service's metrics, defined in the parent before forking: each worker records into its
/// own files (a child after fork() gets files under its own pid).
struct ServiceMetrics {
  metrics::Counter requests;
  metrics::Histogram duration;
  metrics::Gauge in_progress;
  metrics::Counter restarts;

  static metrics::Counter::Options counter(const char* name, const char* help,
                                           std::vector<std::string> labels) {
    metrics::Counter::Options options;
    options.name = name;
    options.documentation = help;
    options.labelnames = std::move(labels);
    return options;
  }
  static metrics::Gauge::Options gauge(const char* name, const char* help,
                                       metrics::MultiprocessMode mode) {
    metrics::Gauge::Options options;
    options.name = name;
    options.documentation = help;
    options.multiprocess_mode = mode;
    return options;
  }
  static metrics::Histogram::Options histogram() {
    metrics::Histogram::Options options;
    options.name = "prefork_request_duration_seconds";
    options.documentation = "Time to answer a request";
    options.labelnames = {"path"};
    options.buckets = metrics::exponential_buckets(0.0001, 2, 1.0);
    return options;
  }

  ServiceMetrics()
      : requests(
            counter("prefork_requests", "Requests answered, by path and status", {"path", "code"})),
        duration(histogram()),
        // Summed over live workers: requests being answered right now.
        in_progress(gauge("prefork_in_progress", "Requests being answered",
                          metrics::MultiprocessMode::livesum)),
        restarts(counter("prefork_worker_restarts", "Workers replaced after dying", {})) {}
};

/// Answers one connection: `GET /predict` gets 200, any other path 404.
void answer(int connection, ServiceMetrics& service) {
  auto scope = service.in_progress.track_inprogress();
  const auto start = std::chrono::steady_clock::now();
  char request[4096];
  std::size_t size = 0;
  while (size < sizeof request - 1) {
    const ssize_t got = ::recv(connection, request + size, sizeof request - 1 - size, 0);
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
    request[size] = '\0';
    if (std::strstr(request, "\r\n\r\n") != nullptr) break;
  }
  request[size] = '\0';
  std::string path = "/";
  if (const char* space = std::strchr(request, ' ')) {
    const char* end = std::strchr(space + 1, ' ');
    if (end != nullptr) path.assign(space + 1, end);
  }
  const bool known = path == "/predict";
  const std::string body = known ? "ok\n" : "not found\n";
  const std::string response =
      std::string("HTTP/1.1 ") + (known ? "200 OK" : "404 Not Found") +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] const ssize_t sent =
      ::send(connection, response.data(), response.size(), MSG_NOSIGNAL);
  const std::string label = known ? path : "other";  // a bounded set of label values
  service.requests.labels({label, known ? "200" : "404"}).inc();
  service.duration.labels({label}).observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

[[noreturn]] void work(int listener, ServiceMetrics& service) {
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the parent, which stops the workers
  // Metrics may also be created after the fork, in the worker alone: one series per live
  // worker (a `pid` label), gone from the aggregate once the parent marks the worker dead.
  static metrics::Gauge started(ServiceMetrics::gauge("prefork_worker_started_time_seconds",
                                                      "When each live worker started",
                                                      metrics::MultiprocessMode::liveall));
  started.set_to_current_time();
  for (;;) {
    const int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0) continue;
    timeval timeout{2, 0};
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    answer(connection, service);
    ::close(connection);
  }
}

int listen_on(int port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 128) != 0) {
    std::fprintf(stderr, "prefork: cannot listen on 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    std::exit(1);
  }
  return listener;
}

}  // namespace

int main(int argc, char** argv) {
  int workers = 4;
  int port = 8080;
  int metrics_port = 9100;
  double seconds = 0;
  std::string directory;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--workers") workers = std::atoi(argv[i + 1]);
    if (option == "--port") port = std::atoi(argv[i + 1]);
    if (option == "--metrics-port") metrics_port = std::atoi(argv[i + 1]);
    if (option == "--seconds") seconds = std::atof(argv[i + 1]);
    if (option == "--dir") directory = argv[i + 1];
  }
  // PROMETHEUS_MULTIPROC_DIR switched multiprocess mode on when the library was loaded;
  // --dir does it explicitly.
  if (!directory.empty()) multiprocess::enable({directory});
  if (!multiprocess::enabled()) {
    std::fprintf(stderr, "prefork: set PROMETHEUS_MULTIPROC_DIR (or --dir) to a directory\n");
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  ServiceMetrics service;  // before forking: every worker inherits the definitions
  const int listener = listen_on(port);
  std::map<pid_t, int> running;
  const auto start_worker = [&] {
    const pid_t pid = ::fork();
    if (pid == 0) work(listener, service);
    running[pid] = 1;
  };
  for (int i = 0; i < workers; ++i) start_worker();

  // One /metrics for all: the parent aggregates the directory at each scrape.
  metrics::Registry aggregate;
  multiprocess::MultiProcessCollector collector(aggregate);
  metrics::Exposer::Options exposer_options;
  exposer_options.listen = {"127.0.0.1:" + std::to_string(metrics_port)};
  exposer_options.registries = {&aggregate};
  metrics::Exposer exposer(exposer_options);
  std::printf(
      "prefork: %d workers on http://127.0.0.1:%d/predict, metrics on "
      "http://127.0.0.1:%d/metrics, files in %s\n",
      workers, port, exposer.port(), multiprocess::directory().c_str());
  std::fflush(stdout);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (stopping == 0 && (seconds <= 0 || std::chrono::steady_clock::now() < deadline)) {
    int status = 0;
    const pid_t dead = ::waitpid(-1, &status, WNOHANG);
    if (dead > 0 && running.erase(dead) == 1) {
      multiprocess::mark_process_dead(dead);  // its live gauges leave the aggregate
      service.restarts.inc();
      start_worker();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto& [pid, unused] : running) ::kill(pid, SIGTERM);
  for (const auto& [pid, unused] : running) {
    ::waitpid(pid, nullptr, 0);
    multiprocess::mark_process_dead(pid);
  }
  return 0;
}
