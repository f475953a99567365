// Exposer start-up errors and lifetime, without HTTP (the HTTP behaviour is tested by
// http_test.py against a real server).
#include "bentoml/metrics/http_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "bentoml/metrics/error.hpp"

namespace metrics = bentoml::metrics;

namespace {
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST(Exposer, PortZeroPicksAFreePortAndStopIsIdempotent) {
  auto server = metrics::start_http_server(0);
  EXPECT_GT(server.port(), 0);
  server.stop();
  server.stop();
}

TEST(Exposer, StopReturnsWithinMilliseconds) {
  // CivetWeb's acceptor polls its sockets for 2 s at a time; stop() wakes it with a connection.
  for (int round = 0; round < 3; ++round) {
    auto server = metrics::start_http_server(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the acceptor is in its poll
    const auto start = std::chrono::steady_clock::now();
    server.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  }
}

TEST(Exposer, PortInUseIsAnErrorNamingTheAddress) {
  auto first = metrics::start_http_server(0);
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  try {
    auto second = metrics::start_http_server(first.port());
    FAIL() << "a second server started on " << address;
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), address)) << error.what();
  }
}

TEST(Exposer, BadAddressOrPathIsAnError) {
  metrics::Exposer::Options options;
  options.listen = {"not an address"};
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {"127.0.0.1:"};
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {"256.1.2.3:0"};
  try {
    metrics::Exposer exposer{options};
    FAIL() << "started on a bad address";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "256.1.2.3:0")) << error.what();
  }
  options.listen = {"127.0.0.1:0"};
  options.path = "metrics";
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.path = "/metrics";
  options.threads = 0;
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {};
  options.threads = 1;
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
}

TEST(Exposer, MovedServersKeepServing) {
  auto server = metrics::start_http_server(0);
  const int port = server.port();
  metrics::Exposer moved = std::move(server);
  EXPECT_EQ(moved.port(), port);
  // The moved-from state is empty, and stopping it is harmless.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(server.port(), 0);
}
