// Pushing to a Prometheus Pushgateway (Python's push_to_gateway, pushadd_to_gateway,
// delete_from_gateway), for batch jobs and short-lived runners. Target bentoml::metrics_push
// (libcurl, which stays out of this header).
//
// The URL is `<gateway>/metrics/job/<job>[/<label>/<value>]...`, grouping labels sorted by name,
// values escaped as prometheus_client does (percent-encoded, or `<label>@base64/<urlsafe base64>`
// for values holding `/`, and `@base64/=` for empty ones), except that a space is `%20` (Python's
// `+` reaches the gateway as a `+`); `http://` is prepended when the gateway has no http(s)
// scheme. Thread-safety: the functions may be called from any threads at once
// (each call has its own connection). Cost: one blocking HTTP request, bounded by `timeout`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

struct PushOptions {
  /// Python's `grouping_key`: labels identifying the group besides `job`.
  std::vector<std::pair<std::string, std::string>> grouping_key{};
  /// Bound on the whole request (connecting included); Python's default is 30 s.
  std::chrono::milliseconds timeout{30000};
  /// HTTP basic auth when `username` is not empty (Python's basic_auth_handler).
  std::string username{};
  std::string password{};
};

/// PUT: replaces every metric of the group with `registry`'s (text format 0.0.4). Throws
/// metrics::Error naming the URL when the gateway cannot be reached in time or answers >= 400.
void push_to_gateway(std::string_view gateway, std::string_view job, const Registry& registry,
                     const PushOptions& options = {});
/// POST: replaces only the metrics with the same names as `registry`'s.
void pushadd_to_gateway(std::string_view gateway, std::string_view job, const Registry& registry,
                        const PushOptions& options = {});
/// DELETE: removes the group.
void delete_from_gateway(std::string_view gateway, std::string_view job,
                         const PushOptions& options = {});

/// The URL a push for `job` and `grouping_key` goes to, as prometheus_client builds it.
std::string pushgateway_url(std::string_view gateway, std::string_view job,
                            const std::vector<std::pair<std::string, std::string>>& grouping_key);

}  // namespace bentoml::metrics
