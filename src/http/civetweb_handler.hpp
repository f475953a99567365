// Internal: answering one HTTP request for metrics on a CivetWeb connection. Shared by Exposer
// and by MetricsHandler, which users mount on their own CivetServer
// (bentoml/metrics/civetweb_handler.hpp, whose detail::serve_metrics civetweb_handler.cpp defines).
#pragma once

#include <string>
#include <vector>

#include "bentoml/metrics/registry.hpp"

struct mg_connection;

namespace bentoml::metrics::detail {

struct EndpointConfig {
  std::vector<const Registry*> registries;  ///< non-empty
  std::string path;                         ///< empty: any path is the metrics path
  std::string expected_authorization;       ///< "Basic <base64>", empty: no auth
  int gzip_level = 1;
};

/// Answers the request on `connection`; returns the HTTP status sent.
int serve_metrics_request(mg_connection* connection, const EndpointConfig& config);

/// CivetWeb's http_error callback: answers CivetWeb's own errors (malformed requests) with the
/// library's page and Date header, and closes the connection. Returns 0 (answered), or 1 to let
/// CivetWeb's default handler run (for the 304 that only marks a connection to be closed).
int answer_civetweb_error(mg_connection* connection, int status, const char* message);

/// "Basic " + base64(username ":" password).
std::string basic_authorization(const std::string& username, const std::string& password);

}  // namespace bentoml::metrics::detail
