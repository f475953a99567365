// The embedded /metrics endpoint: CivetWeb inside, no CivetWeb type outside.
//
// `start_http_server(port)` serves the default registry on 127.0.0.1 like prometheus_client's
// function of that name; `Exposer` takes every option. Both are RAII: destruction (or `stop()`,
// which is idempotent) stops the server and joins its threads. Each request renders the
// registries into a per-thread buffer: the format comes from `Accept` (OpenMetrics 1.0.0 or text
// 0.0.4), the body is gzipped when `Accept-Encoding` allows it. `GET` and `HEAD` on the path, 405
// for other methods there, 404 elsewhere; no file is ever served from disk. A scrape never blocks
// recording threads. Starting on a port in use or a bad address throws metrics::Error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// HTTP basic authentication credentials: requests without them get 401. An empty username
/// means no authentication.
struct BasicAuth {
  std::string username;
  std::string password;
  [[nodiscard]] bool enabled() const noexcept { return !username.empty(); }
};

class Exposer {
 public:
  struct Options {
    /// "address:port" entries (IPv4; port 0 picks a free port). Several may be given.
    std::vector<std::string> listen = {"127.0.0.1:9100"};
    /// The one path metrics are served on.
    std::string path = "/metrics";
    /// The registries to expose, in order; empty means default_registry().
    std::vector<const Registry*> registries;
    /// Worker threads (concurrent scrapes).
    int threads = 2;
    /// Require HTTP basic auth when a username is set: `.basic_auth = {"user", "secret"}`.
    BasicAuth basic_auth;
    /// PEM file with certificate and private key: serve HTTPS instead of HTTP (needs the system
    /// OpenSSL, loaded by CivetWeb at run time; throws metrics::Error when TLS is unavailable).
    std::string tls_certificate;
    /// zlib level for gzip responses (1 measured fastest per byte saved; see docs/http.md).
    int gzip_level = 1;
  };

  /// Starts serving; throws metrics::Error naming the address when it cannot.
  explicit Exposer(const Options& options);
  Exposer(Exposer&&) noexcept;
  Exposer& operator=(Exposer&&) noexcept;
  ~Exposer();

  /// The port of the first listening address (the one chosen when 0 was asked).
  [[nodiscard]] int port() const noexcept;
  /// Stops the server and joins its threads; later calls do nothing.
  void stop() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// prometheus_client's start_http_server: serves `registry` at /metrics on addr:port.
Exposer start_http_server(int port, std::string_view addr = "127.0.0.1",
                          const Registry& registry = default_registry());

}  // namespace bentoml::metrics
