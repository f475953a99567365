// Internal: initialising CivetWeb once per process, without TLS or with it (and if TLS cannot
// work in this process, why).
#pragma once

#include <string>

namespace bentoml::metrics::detail {

/// Initialises CivetWeb once per process, without TLS: a plain-HTTP process never loads OpenSSL.
void init_civetweb();

/// Initialises CivetWeb's TLS once per process. Returns an empty string when it works, otherwise
/// the reason CivetWeb cannot serve HTTPS here. Thread-safe.
std::string tls_unavailable_reason();

}  // namespace bentoml::metrics::detail
