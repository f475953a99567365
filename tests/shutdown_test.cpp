// Shutdown while scraping and recording: the server and the metrics destroyed, in every order
// the API allows, while client threads scrape over loopback and others record, make and remove
// children. Nothing may crash, hang (each shutdown step has 20 s), or leave a thread running;
// these tests run under AddressSanitizer and ThreadSanitizer too (label `concurrency`).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace metrics = bentoml::metrics;
using namespace std::chrono_literals;

namespace {

/// One GET /metrics; the status code, or 0 when the server is gone or closed early.
int scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval timeout{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n"
        "Connection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::string response;
      char buffer[65536];
      ssize_t n;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
        response.append(buffer, static_cast<std::size_t>(n));
      }
      if (response.size() >= 12 && response.rfind("HTTP/1.1 ", 0) == 0) {
        status = std::stoi(response.substr(9, 3));
      }
    }
  }
  ::close(fd);
  return status;
}

/// How many sockets this process holds open.
int open_sockets() {
  int count = 0;
  for (int fd = 0; fd < 4096; ++fd) {
    char link[64];
    char target[256];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<std::size_t>(n)).rfind("socket:", 0) == 0) ++count;
  }
  return count;
}

/// Runs `step` on another thread and fails the test if it takes longer than 20 s (a hang).
template <class Step>
void within_deadline(const char* what, Step step) {
  auto done = std::async(std::launch::async, step);
  if (done.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << what << " did not return within 20 s";
    std::abort();  // a hung thread cannot be joined: stop here, loudly
  }
  done.get();
}

/// Metrics of all four types and their load: recorders, a child maker and remover, scrapers.
struct Load {
  std::unique_ptr<metrics::Registry> registry = std::make_unique<metrics::Registry>();
  std::optional<metrics::Counter> counter{std::in_place, metrics::Counter::Options{
      .name = "c", .documentation = "d", .labelnames = {"id"}, .registry = registry.get()}};
  std::optional<metrics::Gauge> gauge{std::in_place, metrics::Gauge::Options{
      .name = "g", .documentation = "d", .labelnames = {"id"}, .registry = registry.get()}};
  std::optional<metrics::Histogram> histogram{std::in_place, metrics::Histogram::Options{
      .name = "h", .documentation = "d", .labelnames = {"id"}, .registry = registry.get()}};
  std::optional<metrics::Summary> summary{std::in_place, metrics::Summary::Options{
      .name = "s", .documentation = "d", .labelnames = {"id"}, .registry = registry.get()}};
  std::unique_ptr<metrics::Exposer> exposer;
  std::atomic<bool> recording{true}, scraping{true};
  std::atomic<long> scrapes_ok{0};
  std::vector<std::thread> recorders, scrapers;

  Load() {
    metrics::Exposer::Options options;
    options.listen = {"127.0.0.1:0"};
    options.registries = {registry.get()};
    options.threads = 2;
    exposer = std::make_unique<metrics::Exposer>(options);
    // Children taken now stay valid for the life of their metric, which the registry keeps.
    auto c = counter->labels({"0"});
    auto g = gauge->labels({"0"});
    auto h = histogram->labels({"0"});
    auto s = summary->labels({"0"});
    for (int t = 0; t < 2; ++t) {
      recorders.emplace_back([this, c, g, h, s]() mutable {
        while (recording.load(std::memory_order_relaxed)) {
          for (int i = 0; i < 100; ++i) {
            c.inc();
            g.inc();
            h.observe(0.5);
            s.observe(1);
          }
        }
      });
    }
    recorders.emplace_back([this] {
      // A handle of its own (an identical definition is the same metric), so the test may drop
      // `counter` while this thread still makes and removes its children.
      metrics::Counter mine{{.name = "c", .documentation = "d", .labelnames = {"id"},
                             .registry = registry.get()}};
      for (long i = 0; recording.load(std::memory_order_relaxed); ++i) {
        const std::string id = std::to_string(1 + i % 50);
        mine.labels({id}).inc();
        mine.remove({id});
      }
    });
    const int port = exposer->port();
    for (int t = 0; t < 3; ++t) {
      scrapers.emplace_back([this, port] {
        while (scraping.load(std::memory_order_relaxed)) {
          if (scrape(port) == 200) scrapes_ok.fetch_add(1);
        }
      });
    }
    // Until scrapes are known to be flowing (bounded: a slow sanitizer build gets 10 s).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (scrapes_ok.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
  }

  void stop_recording() {
    recording = false;
    for (auto& thread : recorders) thread.join();
    recorders.clear();
  }
  void stop_scraping() {
    scraping = false;
    for (auto& thread : scrapers) thread.join();
    scrapers.clear();
  }
  ~Load() {
    stop_recording();
    stop_scraping();
  }
};

}  // namespace

TEST(Shutdown, ServerFirstWhileScrapingAndRecordingThenMetricsThenRegistry) {
  const int sockets_before = open_sockets();
  Load load;
  EXPECT_GE(load.scrapes_ok.load(), 3);
  const auto stopping = std::chrono::steady_clock::now();
  within_deadline("destroying the Exposer", [&] { load.exposer.reset(); });
  within_deadline("scrapers seeing the server gone", [&] { load.stop_scraping(); });
  // Connections accepted but not yet served when the server stopped are closed by stop(): their
  // clients (15 s receive timeout) learn at once, and no descriptor stays open.
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 10s);
  EXPECT_EQ(open_sockets(), sockets_before);
  load.counter.reset();  // handles go; the registry keeps the metrics for the recorders
  load.histogram.reset();
  within_deadline("stopping the recorders", [&] { load.stop_recording(); });
  load.gauge.reset();
  load.summary.reset();
  load.registry.reset();
}

TEST(Shutdown, MetricsUnregisteredAndDroppedWhileScrapedThenServerThenRegistry) {
  const int sockets_before = open_sockets();
  Load load;
  load.registry->unregister(load.histogram->name());
  load.histogram.reset();
  load.summary.reset();
  std::this_thread::sleep_for(100ms);  // scrapes of the smaller registry, recording continues
  within_deadline("stopping the recorders", [&] { load.stop_recording(); });
  load.counter.reset();
  load.gauge.reset();
  within_deadline("stop() while scraped", [&] { load.exposer->stop(); });
  within_deadline("destroying the stopped Exposer", [&] { load.exposer.reset(); });
  within_deadline("stopping the scrapers", [&] { load.stop_scraping(); });
  EXPECT_EQ(open_sockets(), sockets_before);
  load.registry.reset();
}

TEST(Shutdown, StopFromAnotherThreadWhileScrapingThenMovedServerDestroyed) {
  const int sockets_before = open_sockets();
  Load load;
  std::thread stopper([&] { load.exposer->stop(); });
  within_deadline("a concurrent stop()", [&] { load.exposer->stop(); });
  stopper.join();
  metrics::Exposer moved = std::move(*load.exposer);  // a stopped server moves and dies quietly
  load.exposer.reset();
  within_deadline("stopping the scrapers", [&] { load.stop_scraping(); });
  within_deadline("stopping the recorders", [&] { load.stop_recording(); });
  EXPECT_EQ(open_sockets(), sockets_before);
}

TEST(Shutdown, DefaultRegistryServerStoppedWhileScrapedAndRecorded) {
  metrics::Counter counter{{.name = "shutdown_default", .documentation = "d"}};
  std::atomic<bool> running{true};
  std::thread recorder([&] {
    while (running) counter.inc();
  });
  for (int round = 0; round < 3; ++round) {
    auto server = std::make_unique<metrics::Exposer>(metrics::start_http_server(0, "127.0.0.1"));
    const int port = server->port();
    std::atomic<bool> scraping{true};
    std::thread scraper([&] {
      while (scraping) scrape(port);
    });
    std::this_thread::sleep_for(50ms);
    within_deadline("destroying start_http_server's server", [&] { server.reset(); });
    scraping = false;
    scraper.join();
  }
  running = false;
  recorder.join();
  EXPECT_GT(counter.value(), 0);
}
