// Exposer start-up errors and lifetime, without HTTP (the HTTP behaviour is tested by
// http_test.py against a real server).
#include "bentoml/metrics/http_server.hpp"

#include <gtest/gtest.h>

#include <string>

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
  EXPECT_EQ(server.port(), 0);  // NOLINT(bugprone-use-after-move): the moved-from state is empty
}
