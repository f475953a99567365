// CivetWeb loads the system OpenSSL at run time (dlopen "libssl.so", then dlsym of every function
// it uses). Debian 12's CivetWeb 1.15 is built for the OpenSSL 1.1 API: it looks up
// SSL_get_peer_certificate, which OpenSSL 3 no longer exports. mg_init_library then reports TLS
// as not initialised, yet mg_start still opens an HTTPS port whose first connection calls a null
// function pointer and kills the process. So TLS is only offered when the first
// mg_init_library(MG_FEATURES_TLS) of the process says it worked; later calls would report the
// half-loaded library as working, hence the cached answer.
#include "http/civetweb_init.hpp"

#include <civetweb.h>
#include <dlfcn.h>

#include <mutex>
#include <string>

namespace bentoml::metrics::detail {
namespace {

/// Why loading the system OpenSSL the way CivetWeb 1.15 does it fails, for the error message.
std::string diagnose_openssl() {
  void* ssl = dlopen("libssl.so", RTLD_LAZY | RTLD_LOCAL);
  if (ssl == nullptr) {
    return "CivetWeb loads \"libssl.so\", which is not installed (Debian: libssl-dev)";
  }
  const bool has_old_api = dlsym(ssl, "SSL_get_peer_certificate") != nullptr;
  dlclose(ssl);
  if (!has_old_api) {
    return "this CivetWeb is built for the OpenSSL 1.1 API and the system's libssl (OpenSSL 3) "
           "lacks SSL_get_peer_certificate";
  }
  return "mg_init_library could not initialise OpenSSL";
}

}  // namespace

void init_civetweb() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

std::string tls_unavailable_reason() {
  static std::once_flag tls_once;
  static std::string reason;
  std::call_once(tls_once, [] {
    if (mg_check_feature(MG_FEATURES_TLS) == 0) {
      reason = "CivetWeb was built without TLS";
    } else if ((mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
      reason = diagnose_openssl();
    }
  });
  return reason;
}

}  // namespace bentoml::metrics::detail
