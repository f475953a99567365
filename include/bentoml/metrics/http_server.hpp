// The embedded /metrics endpoint: CivetWeb inside, no CivetWeb type outside (target
// bentoml::metrics_http; <bentoml/metrics.hpp> does not include this header).
//
// `start_http_server(port)` is prometheus_client's function of that name (on 0.0.0.0 by
// default, as there); `Exposer` takes every option. Both are RAII: destruction or `stop()`
// (idempotent) stops the server and joins its threads. A request renders the registries into a
// per-thread buffer in the format `Accept` asks for, gzipped when `Accept-Encoding` allows, and
// never blocks recording threads. GET and HEAD on the path, 405 for other methods, 404 elsewhere;
// no file is ever served, no request body is ever read (a request announcing one is answered and
// its connection closed), and every connection is closed once answered. Each open connection
// holds one of `threads` workers from accept to close, a silent or trickling one for at most
// `request_timeout_ms`: a scrape is answered at once as long as fewer connections than `threads`
// are open (README, "Reliability: the endpoint").
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
  std::string username{};
  std::string password{};
  [[nodiscard]] bool enabled() const noexcept { return !username.empty(); }
};

class Exposer {
 public:
  /// Every field has a default, so designated initializers may name only some of them
  /// (`{.name = ..., .documentation = ...}`) without a -Wmissing-field-initializers warning.
  struct Options {
    /// "address:port" entries (port 0 picks a free port; 0.0.0.0 is every IPv4 interface).
    /// Several may be given. IPv6 ("[::1]:9100") needs a CivetWeb built with IPv6, which
    /// Debian's 1.15 is not: the constructor then throws metrics::Error saying so.
    std::vector<std::string> listen = {"127.0.0.1:9100"};
    /// The one path metrics are served on.
    std::string path = "/metrics";
    /// The registries to expose, in order; empty means default_registry().
    std::vector<const Registry*> registries{};
    /// Worker threads: the most connections served at once. Each open connection holds one
    /// (a silent one for up to request_timeout_ms); beyond `threads`, connections wait in turn.
    /// An idle worker costs about 20 KB of memory and one task (mind a container's pids limit);
    /// size it to the scrapers plus the hostile connections the endpoint must withstand
    /// (README, "Reliability: the endpoint").
    int threads = 256;
    /// How long a connection may take to send its request line and headers (one deadline, not
    /// restarted by each byte), and the longest a response write may stall; 100..60000.
    int request_timeout_ms = 2000;
    /// Require HTTP basic auth when a username is set: `.basic_auth = {"user", "secret"}`.
    BasicAuth basic_auth{};
    /// PEM file with certificate and private key: serve HTTPS instead of HTTP. CivetWeb loads the
    /// system OpenSSL at run time; where that cannot work (Debian 12's CivetWeb 1.15 with
    /// OpenSSL 3) the constructor throws metrics::Error saying why.
    std::string tls_certificate{};
    /// zlib level for gzip responses, 1..9. Level 1 costs about what rendering does; level 6
    /// takes 2.6x as long for 6% fewer bytes (bench/http_scrape/gzip_levels).
    int gzip_level = 1;
  };

  /// Starts serving; throws metrics::Error naming the address and the cause when it cannot
  /// (port in use, address not available, IPv6 where CivetWeb lacks it, bad options).
  explicit Exposer(const Options& options);
  Exposer(Exposer&&) noexcept;
  Exposer& operator=(Exposer&&) noexcept;
  ~Exposer();

  /// The port of the first listening address (the one chosen when 0 was asked).
  [[nodiscard]] int port() const noexcept;
  /// Stops the server and joins its threads (within milliseconds); later calls do nothing. Any
  /// thread may call it, several at once too: each returns once the server has stopped.
  void stop() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// prometheus_client's start_http_server: serves `registry` at /metrics on addr:port. As in
/// Python, the default address 0.0.0.0 is every IPv4 interface (reachable from other machines and
/// containers); pass "127.0.0.1" for this machine only.
Exposer start_http_server(int port, std::string_view addr = "0.0.0.0",
                          const Registry& registry = default_registry());

}  // namespace bentoml::metrics
