// MetricsHandler mounted on a user's own CivetServer serves what Exposer serves.
#include "bentoml/metrics/civetweb_handler.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

/// One HTTP/1.0 exchange on 127.0.0.1:port; returns the whole response.
std::string http(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    (void)!write(fd, request.data(), request.size());
    char buffer[4096];
    for (ssize_t got; (got = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, got);
  }
  close(fd);
  return response;
}

}  // namespace

TEST(MetricsHandler, ServesTheRegistryOnAUsersCivetServer) {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "handled", .documentation = "d", .registry = &registry}};
  counter.inc(4);
  std::vector<std::string> options = {"listening_ports", "127.0.0.1:0", "num_threads", "1"};
  CivetServer server(options);
  metrics::MetricsHandler handler({&registry});
  server.addHandler("/metrics", handler);
  const int port = server.getListeningPorts().at(0);

  const std::string ok = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.0 200", 0), 0u) << ok;
  EXPECT_NE(ok.find("text/plain; version=0.0.4; charset=utf-8"), std::string::npos);
  EXPECT_NE(ok.find("\r\n\r\n# HELP handled_total d\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("handled_total 4.0\n"), std::string::npos);

  const std::string om = http(
      port, "GET /metrics HTTP/1.0\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n");
  EXPECT_NE(om.find("# EOF\n"), std::string::npos) << om;

  const std::string post = http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.0 405", 0), 0u) << post;
  server.close();
}

TEST(MetricsHandler, BasicAuth) {
  metrics::Registry registry;
  std::vector<std::string> options = {"listening_ports", "127.0.0.1:0", "num_threads", "1"};
  CivetServer server(options);
  metrics::MetricsHandler handler({&registry}, {"user", "pass"});
  server.addHandler("/metrics", handler);
  const int port = server.getListeningPorts().at(0);
  EXPECT_EQ(http(port, "GET /metrics HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 401", 0), 0u);
  EXPECT_EQ(http(port, "GET /metrics HTTP/1.0\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n")
                .rfind("HTTP/1.0 200", 0),
            0u);
  server.close();
}
