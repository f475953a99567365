// The endpoint's lifecycle under load: stop() and the destructor answer or close every accepted
// connection before they return, in well under a second; start/stop cycles and scrapes leave no
// descriptor, thread or memory behind (counted in /proc/self).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "endpoint_client.hpp"

using namespace endpoint_test;  // NOLINT: the test support of these files only

namespace {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
}  // namespace

TEST(EndpointHostile, StopAnswersOrClosesEveryAcceptedConnectionAtOnce) {
  raise_descriptor_limit();
  metrics::Registry registry;
  const metrics::Exposer::Options options = loopback_options(registry, 4);
  const int descriptors = open_descriptors();
  int hanging = 0;
  double slowest_stop = 0;
  for (int round = 0; round < 40; ++round) {
    auto server = std::make_unique<metrics::Exposer>(options);
    const int port = server->port();
    // Three clients arriving while the server stops, and 8 silent ones already queued behind
    // the 4 workers.
    std::vector<int> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(connect_to(port));
    std::vector<std::thread> arriving;
    std::mutex mutex;
    for (int i = 0; i < 3; ++i) {
      arriving.emplace_back([&, i] {
        std::this_thread::sleep_for(std::chrono::milliseconds(i * 2));
        const int fd = connect_to(port);
        if (fd < 0) return;  // refused: the server had stopped listening
        (void)send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        std::lock_guard<std::mutex> lock(mutex);
        clients.push_back(fd);
      });
    }
    std::this_thread::sleep_for(2ms);
    const auto start = Clock::now();
    server.reset();
    slowest_stop = std::max(slowest_stop, seconds_since(start));
    for (auto& thread : arriving) thread.join();
    for (const int fd : clients) {
      if (fd < 0) continue;
      // Answered or closed: the reply ends with the server's close, at once.
      const Reply reply = read_reply(fd, 0.5);
      hanging += reply.closed ? 0 : 1;
      close(fd);
    }
  }
  std::printf("  slowest stop %.3f s, %d clients left hanging\n", slowest_stop, hanging);
  EXPECT_EQ(hanging, 0);
  EXPECT_LT(slowest_stop, 1.0);  // milliseconds when idle; under load, still well under 1 s
  EXPECT_EQ(open_descriptors(), descriptors);
}

TEST(EndpointHostile, DestroyingTheServerWithSlowConnectionsClosesThemAll) {
  raise_descriptor_limit();
  metrics::Registry registry;
  const metrics::Exposer::Options options = loopback_options(registry, 16);
  const int descriptors = open_descriptors();
  auto server = std::make_unique<metrics::Exposer>(options);
  std::vector<int> clients;
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_to(server->port());
    if (i % 2 == 0) (void)send_all(fd, "GET /metrics HTTP/1.1\r\nHo");
    clients.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  server.reset();
  const double took = seconds_since(start);
  int hanging = 0;
  for (const int fd : clients) {
    hanging += read_reply(fd, 0.5).closed ? 0 : 1;
    close(fd);
  }
  std::printf("  destructor %.3f s, %d of 50 clients left hanging\n", took, hanging);
  EXPECT_LT(took, 1.0);
  EXPECT_EQ(hanging, 0);
  EXPECT_EQ(open_descriptors(), descriptors);
}

TEST(EndpointHostile, StartStopCyclesLeakNoDescriptorOrThread) {
  raise_descriptor_limit();
  metrics::Registry registry;
  const metrics::Exposer::Options options = loopback_options(registry, 4);
  // A sanitizer's runtime starts a thread of its own with the first thread created: count after.
  std::thread([] {}).join();
  const int descriptors = open_descriptors();
  const int threads = threads_now();
  std::atomic<int> port{0};
  std::atomic<bool> running{true};
  // Load: clients connecting all the time, to whatever server is up.
  std::thread load([&] {
    while (running) {
      const int p = port.load();
      if (p > 0) (void)exchange(p, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1.0);
    }
  });
  const int cycles = scaled("ENDPOINT_HOSTILE_CYCLES", 300);
  const auto start = Clock::now();
  double slowest = 0;
  for (int i = 0; i < cycles; ++i) {
    metrics::Exposer server(options);
    port = server.port();
    std::this_thread::sleep_for(1ms);
    const auto stop_start = Clock::now();
    server.stop();
    slowest = std::max(slowest, seconds_since(stop_start));
  }
  running = false;
  load.join();
  std::printf(
      "  %d cycles in %.1f s, slowest stop %.3f s, descriptors %d -> %d, threads %d -> %d\n",
      cycles, seconds_since(start), slowest, descriptors, open_descriptors(), threads,
      threads_now());
  EXPECT_EQ(open_descriptors(), descriptors);
  EXPECT_EQ(threads_now(), threads);
  EXPECT_LT(slowest, 1.0);
}

TEST(EndpointHostile, ScrapesLeakNoDescriptor) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"i"}, .registry = &registry}};
  for (int i = 0; i < 100; ++i) counter.labels({std::to_string(i)}).inc();
  const metrics::Exposer::Options options = loopback_options(registry);
  metrics::Exposer server(options);
  const std::string requests[] = {
      std::string(kPrometheusRequest),
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"};
  for (int i = 0; i < 300; ++i) (void)exchange(server.port(), requests[i % 3]);  // warm
  std::this_thread::sleep_for(100ms);
  const int descriptors = open_descriptors();
  const long resident = resident_kib();
  int failures = 0;
  const int scrapes = scaled("ENDPOINT_HOSTILE_SCRAPES", 3000);
  for (int i = 0; i < scrapes; ++i)
    failures += complete_scrape(exchange(server.port(), requests[i % 3])) ? 0 : 1;
  std::this_thread::sleep_for(100ms);  // the last connection's close by the worker
  std::printf("  %d scrapes: descriptors %d -> %d, resident %ld -> %ld KiB\n", scrapes, descriptors,
              open_descriptors(), resident, resident_kib());
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(open_descriptors(), descriptors);
  // Under a sanitizer, resident memory is dominated by shadow memory and quarantine.
  if (!kSanitized) EXPECT_LT(resident_kib() - resident, 4096);
}
