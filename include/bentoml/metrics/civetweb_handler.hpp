// MetricsHandler: the /metrics endpoint as a CivetHandler, for services that already run a
// CivetServer of their own. It serves the same bytes as Exposer (negotiation, gzip, HEAD, 405),
// and likewise never reads a request body: a request announcing one is answered and its
// connection closed. The server's workers, timeouts and error pages stay the service's own (the
// Exposer's choices are in the README, "Reliability: the endpoint").
//
// This is the only public header that includes CivetWeb's; link your program with
// civetweb::civetweb-cpp as well. Mount it with `server.addHandler("/metrics", handler)`; the
// handler must outlive its registration.
#pragma once

#include <CivetServer.h>

#include <utility>
#include <vector>

#include "bentoml/metrics/http_server.hpp"
#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

namespace detail {
/// Answers a metrics request on `connection` from `registries` (empty: the default registry),
/// with optional basic auth and a zlib level for gzip. Returns the HTTP status sent.
int serve_metrics(mg_connection* connection, const std::vector<const Registry*>& registries,
                  const BasicAuth& basic_auth, int gzip_level);
}  // namespace detail

class MetricsHandler : public CivetHandler {
 public:
  explicit MetricsHandler(std::vector<const Registry*> registries = {}, BasicAuth basic_auth = {},
                          int gzip_level = 1)
      : registries_(std::move(registries)),
        basic_auth_(std::move(basic_auth)),
        gzip_level_(gzip_level) {}

  bool handleGet(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handleHead(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handlePost(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handlePut(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handleDelete(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handleOptions(CivetServer*, mg_connection* connection) override { return serve(connection); }
  bool handlePatch(CivetServer*, mg_connection* connection) override { return serve(connection); }

 private:
  bool serve(mg_connection* connection) const {
    detail::serve_metrics(connection, registries_, basic_auth_, gzip_level_);
    return true;
  }

  std::vector<const Registry*> registries_;
  BasicAuth basic_auth_;
  int gzip_level_;
};

}  // namespace bentoml::metrics
