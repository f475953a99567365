// Exposer start-up errors and lifetime, without HTTP (the HTTP behaviour is tested by
// http_test.py against a real server).
#include "bentoml/metrics/http_server.hpp"

#include <civetweb.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
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

TEST(Exposer, PortInUseIsAnErrorNamingTheAddressAndTheCause) {
  auto first = metrics::start_http_server(0);
  for (const std::string host : {"0.0.0.0", "127.0.0.1"}) {
    const std::string address = host + ":" + std::to_string(first.port());
    try {
      auto second = metrics::start_http_server(first.port(), host);
      FAIL() << "a second server started on " << address;
    } catch (const metrics::Error& error) {
      EXPECT_TRUE(contains(error.what(), "'" + address + "'")) << error.what();
      EXPECT_TRUE(
          contains(error.what(), "port " + std::to_string(first.port()) + " is already in use"))
          << error.what();
    }
  }
}

TEST(Exposer, AnAddressThisMachineLacksIsAnErrorSayingSo) {
  metrics::Exposer::Options options;
  options.listen = {"192.0.2.1:0"};  // TEST-NET-1: documentation only, never on an interface
  try {
    metrics::Exposer exposer{options};
    FAIL() << "started on 192.0.2.1";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "'192.0.2.1:0'")) << error.what();
    EXPECT_TRUE(contains(error.what(), "address 192.0.2.1 is not available")) << error.what();
  }
  // The cause names the failing address among several.
  options.listen = {"127.0.0.1:0", "192.0.2.1:0"};
  try {
    metrics::Exposer exposer{options};
    FAIL() << "started on 192.0.2.1";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "cannot listen on '192.0.2.1:0': address")) << error.what();
  }
}

TEST(Exposer, IPv6IsAnErrorNamingCivetWebWhereItLacksIPv6) {
  metrics::Exposer::Options options;
  options.listen = {"[::1]:0"};
  if (mg_check_feature(MG_FEATURES_IPV6) != 0) {
    metrics::Exposer exposer{options};  // a CivetWeb with IPv6 serves it
    EXPECT_GT(exposer.port(), 0);
    return;
  }
  for (const char* address : {"[::1]:0", "[::]:9100", "::1:0"}) {
    options.listen = {address};
    try {
      metrics::Exposer exposer{options};
      FAIL() << "started on " << address;
    } catch (const metrics::Error& error) {
      EXPECT_TRUE(contains(error.what(), std::string("'") + address + "'")) << error.what();
      EXPECT_TRUE(contains(error.what(), "IPv6 is not supported by the CivetWeb")) << error.what();
    }
  }
}

TEST(Exposer, StartHttpServerListensOnEveryIPv4InterfaceByDefault) {
  // As prometheus_client's start_http_server(port, addr='0.0.0.0'): the listening socket is
  // bound to INADDR_ANY, which /proc/net/tcp shows as 00000000 (state 0A is LISTEN).
  auto server = metrics::start_http_server(0);
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, "%04X", server.port());
  std::ifstream tcp("/proc/net/tcp");
  ASSERT_TRUE(tcp.good());
  std::string line;
  std::string local;
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, address, remote, state;
    fields >> slot >> address >> remote >> state;
    if (state == "0A" && address.size() > 5 && address.substr(address.size() - 4) == port_hex) {
      local = address;
    }
  }
  EXPECT_EQ(local, std::string("00000000:") + port_hex);
  // An explicit address still binds only that one.
  auto loopback = metrics::start_http_server(0, "127.0.0.1");
  std::snprintf(port_hex, sizeof port_hex, "%04X", loopback.port());
  tcp = std::ifstream("/proc/net/tcp");
  bool found = false;
  while (std::getline(tcp, line)) {
    found = found || line.find("0100007F:" + std::string(port_hex) + " 00000000:0000 0A") !=
                         std::string::npos;
  }
  EXPECT_TRUE(found) << "no LISTEN socket on 127.0.0.1:" << loopback.port();
}

TEST(Exposer, BadAddressOrPathIsAnError) {
  metrics::Exposer::Options options;
  options.listen = {"not an address"};
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {"127.0.0.1:"};
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {"127.0.0.1:65536"};
  EXPECT_THROW(metrics::Exposer{options}, metrics::Error);
  options.listen = {"256.1.2.3:0"};
  try {
    metrics::Exposer exposer{options};
    FAIL() << "started on a bad address";
  } catch (const metrics::Error& error) {
    EXPECT_TRUE(contains(error.what(), "256.1.2.3:0")) << error.what();
    EXPECT_TRUE(contains(error.what(), "neither an IPv4 address nor a host name")) << error.what();
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
