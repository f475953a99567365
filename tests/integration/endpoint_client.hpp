// Test support for the endpoint's hostile-client tests: a raw-socket client (connect, send,
// read until the server closes), process counters from /proc/self (descriptors, threads,
// resident memory) and the scenario (a 10,000-series registry, two recording threads).
// Sizes come from the environment for the longer runs behind the README's figures:
// ENDPOINT_HOSTILE_SECONDS (attack length, default 5), ENDPOINT_HOSTILE_ATTACKERS,
// ENDPOINT_HOSTILE_THREADS, ENDPOINT_HOSTILE_CYCLES, ENDPOINT_HOSTILE_SCRAPES.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "bentoml/metrics/http_server.hpp"

namespace endpoint_test {

namespace metrics = bentoml::metrics;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// How long each attack lasts: 5 s, or ENDPOINT_HOSTILE_SECONDS.
inline double attack_seconds() {
  const char* value = std::getenv("ENDPOINT_HOSTILE_SECONDS");
  return value != nullptr && std::atof(value) > 0 ? std::atof(value) : 5.0;
}

/// A count from the environment (for the longer runs of the README's figures), or `fallback`.
inline int scaled(const char* variable, int fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

inline int count_entries(const char* directory) {
  DIR* dir = opendir(directory);
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count - (std::strcmp(directory, "/proc/self/fd") == 0 ? 1 : 0);  // opendir's own
}
inline long resident_kib() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::atol(line + 6);
  }
  std::fclose(status);
  return kib;
}
/// A server on an ephemeral loopback port serving `registry`; 0 threads: the default count.
inline metrics::Exposer::Options loopback_options(const metrics::Registry& registry,
                                                  int threads = 0) {
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  if (threads > 0) options.threads = threads;
  return options;
}

inline int open_descriptors() { return count_entries("/proc/self/fd"); }
inline int threads_now() { return count_entries("/proc/self/task"); }

inline void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
}

/// A blocking TCP connection to 127.0.0.1:port, or -1.
inline int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int on = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

struct Reply {
  int status = -1;      ///< -1: no status line
  bool closed = false;  ///< the server closed (or reset) the connection
  std::string bytes;
  double seconds = 0;  ///< until the status line (or the close, without one)
};

/// Reads until the server closes the connection or `timeout` passes.
inline Reply read_reply(int fd, double timeout, Clock::time_point start = Clock::now()) {
  Reply reply;
  bool timed = false;
  char buffer[65536];
  while (true) {
    const double left = timeout - seconds_since(start);
    if (left <= 0) break;
    pollfd waiting{fd, POLLIN, 0};
    if (poll(&waiting, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
    const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) {
      reply.closed = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<std::size_t>(got));
    if (!timed && reply.bytes.find("\r\n") != std::string::npos) {
      timed = true;
      reply.seconds = seconds_since(start);
    }
  }
  if (!timed) reply.seconds = seconds_since(start);
  if (reply.bytes.rfind("HTTP/1.", 0) == 0 && reply.bytes.size() >= 12) {
    reply.status = std::atoi(reply.bytes.c_str() + 9);
  }
  return reply;
}

/// Sends `request` on a new connection and reads the reply (until close or `timeout`).
inline Reply exchange(int port, std::string_view request, double timeout = 3.0) {
  const auto start = Clock::now();
  const int fd = connect_to(port);
  if (fd < 0) return Reply{};
  (void)send_all(fd, request);
  Reply reply = read_reply(fd, timeout, start);
  close(fd);
  return reply;
}

inline constexpr std::string_view kPrometheusRequest =
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.45.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";

/// A whole scrape: status 200 and the announced number of body bytes before the close.
inline bool complete_scrape(const Reply& reply) {
  const std::size_t end = reply.bytes.find("\r\n\r\n");
  if (reply.status != 200 || end == std::string::npos) return false;
  const std::size_t length = reply.bytes.find("Content-Length: ");
  if (length == std::string::npos || length > end) return false;
  return reply.bytes.size() - end - 4 ==
         static_cast<std::size_t>(std::atoll(reply.bytes.c_str() + length + 16));
}

/// The registry of the scenario: 10,000 series, two threads recording into it.
class Scenario {
 public:
  Scenario() {
    for (int i = 0; i < 10000; ++i) counter_.labels({std::to_string(i)}).inc();
    for (int t = 0; t < 2; ++t) {
      recorders_.emplace_back([this, t] {
        auto child = counter_.labels({std::to_string(t)});
        while (running_.load(std::memory_order_relaxed)) {
          for (int i = 0; i < 1000; ++i) child.inc();
          std::this_thread::sleep_for(1ms);
        }
      });
    }
  }
  ~Scenario() {
    running_ = false;
    for (auto& thread : recorders_) thread.join();
  }
  metrics::Exposer::Options options() {
    metrics::Exposer::Options options;
    options.listen = {"127.0.0.1:0"};
    options.registries = {&registry_};
    options.threads = scaled("ENDPOINT_HOSTILE_THREADS", options.threads);
    return options;
  }

 private:
  metrics::Registry registry_;
  metrics::Counter counter_{
      {.name = "requests", .documentation = "d", .labelnames = {"i"}, .registry = &registry_}};
  std::atomic<bool> running_{true};
  std::vector<std::thread> recorders_;
};

}  // namespace endpoint_test
