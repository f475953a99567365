// The endpoint's worker threads under ThreadSanitizer: malformed requests from several threads
// (CivetWeb's own error pages would each call gmtime(), whose static buffer races between
// workers; the library answers them itself with gmtime_r), scrapes alongside, and stop() while
// clients arrive.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "bentoml/metrics/http_server.hpp"
#include "integration/endpoint_client.hpp"

namespace metrics = bentoml::metrics;

namespace {

/// Sends `request` to 127.0.0.1:port and returns the status of the reply (-1: none), reading
/// until the server closes the connection or 5 s pass.
int status_of(int port, const std::string& request) {
  return endpoint_test::exchange(port, request, 5.0).status;
}

}  // namespace

TEST(EndpointRace, GarbageFromFourThreadsBesideScrapes) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "c", .documentation = "d", .registry = &registry}};
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 8;
  metrics::Exposer server(options);
  const std::vector<std::string> garbage = {
      "garbage\r\n\r\n",
      "GET /metrics HTTP/2.0\r\n\r\n",
      "GET /metrics HTTX/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "FOO /metrics HTTP/1.1\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nx",
      "GET /metrics HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "OPTIONS /metrics HTTP/1.1\r\nOrigin: http://x\r\nAccess-Control-Request-Method: GET\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"};
  std::atomic<int> refused{0};
  std::atomic<int> served{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        refused += status_of(server.port(), garbage[(i + t) % garbage.size()]) >= 400 ? 1 : 0;
      }
    });
  }
  clients.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      counter.inc();
      served += status_of(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 200;
    }
  });
  for (auto& client : clients) client.join();
  // The oversized request may be cut short by the server's close before its status is read.
  EXPECT_GE(refused.load(), 4 * 40 - 4 * 40 / static_cast<int>(garbage.size()));
  EXPECT_EQ(served.load(), 40);
}

TEST(EndpointRace, StopWhileClientsArrive) {
  metrics::Registry registry;
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 4;
  for (int round = 0; round < 10; ++round) {
    auto server = std::make_unique<metrics::Exposer>(options);
    const int port = server->port();
    std::vector<std::thread> clients;
    for (int i = 0; i < 3; ++i) {
      clients.emplace_back([port] { (void)status_of(port, "GET /metrics HTTP/1.1\r\n\r\n"); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.reset();
    for (auto& client : clients) client.join();
  }
}
