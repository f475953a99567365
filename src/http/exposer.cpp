// Exposer: a CivetWeb server whose every request goes to serve_metrics_request.
#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/http_server.hpp"
#include "request_handler.hpp"
#include "tls_support.hpp"

namespace bentoml::metrics {

struct Exposer::Impl {
  detail::EndpointConfig config;
  mg_context* context = nullptr;
  int port = 0;
  std::string wake_address;  ///< IPv4 address stop() connects to, to wake CivetWeb's acceptor
  /// Serializes stop(): two threads stopping at once would both pass mg_stop the same context.
  std::mutex stopping;
};

namespace {

int handle_request(mg_connection* connection, void* data) {
  return detail::serve_metrics_request(connection, static_cast<Exposer::Impl*>(data)->config);
}

std::string describe(const Exposer::Options& options) {
  std::string listen;
  for (const std::string& address : options.listen) {
    listen += listen.empty() ? address : "," + address;
  }
  return listen;
}

/// The host part of "host:port" (validated), without an IPv6 address's brackets.
std::string host_of(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

int port_of(const std::string& address) {
  return std::atoi(address.c_str() + address.rfind(':') + 1);
}

bool is_ipv6(const std::string& address) {
  return address.front() == '[' || host_of(address).find(':') != std::string::npos;
}

/// Why `address` cannot be listened on, learnt by binding a plain socket to it as CivetWeb does
/// (SO_REUSEADDR); empty when that bind succeeds (the cause was then CivetWeb's own). CivetWeb
/// reports every listening failure as "Failed to setup server ports", without the errno.
std::string listen_failure_cause(const std::string& address) {
  const std::string host = host_of(address);
  const int port = port_of(address);
  addrinfo hints{};
  hints.ai_family = is_ipv6(address) ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints,
                  &found) != 0 ||
      found == nullptr) {
    return "'" + host + "' is neither an " + (hints.ai_family == AF_INET6 ? "IPv6" : "IPv4") +
           " address nor a host name that resolves to one";
  }
  std::string cause;
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    const int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      const int error = errno;
      switch (error) {
        case EADDRINUSE:
          cause =
              "port " + std::to_string(port) + " is already in use (another server listens on it)";
          break;
        case EADDRNOTAVAIL:
          cause =
              "address " + host + " is not available (no network interface of this machine has it)";
          break;
        case EACCES:
          cause = "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
          break;
        default:
          cause = std::system_category().message(error);
      }
    }
    close(fd);
  }
  freeaddrinfo(found);
  return cause;
}

void validate(const Exposer::Options& options) {
  if (options.listen.empty()) throw Error("metrics HTTP server: no listen address given");
  for (const std::string& address : options.listen) {
    const std::size_t colon = address.rfind(':');
    if (address.empty() || colon == std::string::npos || colon + 1 == address.size() ||
        address.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
        address.size() - colon - 1 > 5 || port_of(address) > 65535) {
      throw Error("metrics HTTP server: bad listen address '" + address +
                  "' (expected address:port with a port 0..65535, e.g. 0.0.0.0:9100)");
    }
    if (is_ipv6(address) && mg_check_feature(MG_FEATURES_IPV6) == 0) {
      throw Error("metrics HTTP server: cannot listen on '" + address +
                  "': IPv6 is not supported by the CivetWeb this library uses (it was built "
                  "without IPv6, as Debian's CivetWeb 1.15 is); listen on an IPv4 address, "
                  "e.g. 0.0.0.0:" +
                  std::to_string(port_of(address)) + " for all interfaces");
    }
  }
  if (options.path.empty() || options.path[0] != '/' ||
      options.path.find_first_of("?# \t\r\n") != std::string::npos) {
    throw Error("metrics HTTP server: bad path '" + options.path + "' (must start with /)");
  }
  if (options.threads < 1) throw Error("metrics HTTP server: threads must be at least 1");
  if (options.gzip_level < 1 || options.gzip_level > 9) {
    throw Error("metrics HTTP server: gzip_level must be 1..9");
  }
  if (!options.tls_certificate.empty()) {
    const std::string reason = detail::tls_unavailable_reason();
    if (!reason.empty()) {
      throw Error("metrics HTTP server on '" + describe(options) +
                  "': TLS requested, but CivetWeb cannot serve HTTPS here: " + reason +
                  " (terminate TLS in a proxy in front of the endpoint)");
    }
  }
}

/// The address stop() connects to: the first listening address, loopback for a wildcard.
std::string wake_address(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host;
}

/// One TCP connection to address:port, closed at once. CivetWeb's acceptor thread checks its stop
/// flag only between polls of the listening sockets (every 2 s when idle): a connection ends the
/// poll, so mg_stop returns in milliseconds instead of up to 2 s.
void poke(const std::string& address, int port) {
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &target.sin_addr) != 1) return;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target);
  close(fd);
}

}  // namespace

Exposer::Exposer(const Options& options) : impl_(std::make_unique<Impl>()) {
  validate(options);
  detail::init_civetweb();
  impl_->config.registries = options.registries;
  if (impl_->config.registries.empty()) impl_->config.registries.push_back(&default_registry());
  impl_->config.path = options.path;
  if (options.basic_auth.enabled()) {
    impl_->config.expected_authorization =
        detail::basic_authorization(options.basic_auth.username, options.basic_auth.password);
  }
  impl_->config.gzip_level = options.gzip_level;

  std::string ports;
  for (const std::string& address : options.listen) {
    ports += (ports.empty() ? "" : ",") + address + (options.tls_certificate.empty() ? "" : "s");
  }
  const std::string threads = std::to_string(options.threads);
  // No document_root: CivetWeb then never serves files or directory listings. A kept-alive
  // connection holds a worker thread while it idles: the short idle time means scrapers that keep
  // connections between scrapes never starve another scraper.
  std::vector<const char*> settings = {
      "listening_ports",
      ports.c_str(),
      "num_threads",
      threads.c_str(),
      "enable_keep_alive",
      "yes",
      "keep_alive_timeout_ms",
      "500",
      "request_timeout_ms",
      "10000",
      "max_request_size",
      "16384",  // bounds the request line and headers
      "enable_directory_listing",
      "no",
      "tcp_nodelay",
      "1",  // headers and body are two writes: no Nagle/delayed-ACK stall
  };
  if (!options.tls_certificate.empty()) {
    settings.push_back("ssl_certificate");
    settings.push_back(options.tls_certificate.c_str());
  }
  settings.push_back(nullptr);

  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // no stderr
  mg_init_data init{&callbacks, nullptr, settings.data()};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof error_text};
  impl_->context = mg_start2(&init, &error);
  if (impl_->context == nullptr) {
    std::string failing;  // the first address a plain socket cannot bind either, and why
    std::string cause;
    for (const std::string& address : options.listen) {
      cause = listen_failure_cause(address);
      if (!cause.empty()) {
        failing = address;
        break;
      }
    }
    if (!cause.empty()) {
      throw Error("metrics HTTP server: cannot listen on '" + failing + "': " + cause);
    }
    throw Error("metrics HTTP server: cannot listen on '" + describe(options) +
                "': " + (error_text[0] != '\0' ? error_text : "unknown error"));
  }
  // Every URI comes here; the handler answers 404 for anything but the path.
  mg_set_request_handler(impl_->context, "/", &handle_request, impl_.get());
  mg_server_port listening[4] = {};
  if (mg_get_server_ports(impl_->context, 4, listening) > 0) impl_->port = listening[0].port;
  impl_->wake_address = wake_address(options.listen.front());
}

Exposer::Exposer(Exposer&&) noexcept = default;

Exposer& Exposer::operator=(Exposer&& other) noexcept {
  if (this != &other) {
    stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

namespace {

/// CivetWeb 1.15's mg_stop joins its threads without closing the connections its acceptor had
/// queued for the workers (accepted, not yet served): their clients would wait for an answer
/// until their own timeout, and the descriptors would stay open in this process for good. Once
/// every CivetWeb thread is joined nothing owns a connected socket whose local port is one this
/// server listened on (the kernel never gives a listening port to an outgoing connection), so
/// those are closed here. Without /proc nothing is done.
void close_orphaned_connections(const std::vector<int>& ports) noexcept {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return;
  std::vector<int> orphans;
  const int own = dirfd(directory);
  while (const dirent* entry = readdir(directory)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
      continue;  // not a socket
    }
    int port = -1;
    if (local.ss_family == AF_INET) {
      port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
    } else if (local.ss_family == AF_INET6) {
      port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
    }
    bool ours = false;
    for (const int listened : ports) ours = ours || (port == listened && port > 0);
    sockaddr_storage peer{};
    length = sizeof peer;
    if (ours &&
        getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
      orphans.push_back(static_cast<int>(fd));  // connected, so not a listening socket
    }
  }
  closedir(directory);
  for (const int fd : orphans) close(fd);
}

}  // namespace

Exposer::~Exposer() { stop(); }

int Exposer::port() const noexcept { return impl_ != nullptr ? impl_->port : 0; }

void Exposer::stop() noexcept {
  if (impl_ == nullptr) return;
  // A second caller waits here until the server has stopped, then finds nothing to do.
  const std::lock_guard<std::mutex> lock(impl_->stopping);
  if (impl_->context == nullptr) return;
  std::atomic<bool> stopped{false};
  std::thread waker;
  try {
    waker = std::thread([this, &stopped] {
      while (!stopped.load(std::memory_order_acquire)) {
        poke(impl_->wake_address, impl_->port);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  } catch (...) {
    // No thread for the waker: mg_stop still returns, within CivetWeb's 2 s poll period.
  }
  std::vector<int> ports;
  mg_server_port listening[8];
  const int count = mg_get_server_ports(impl_->context, 8, listening);
  for (int i = 0; i < count; ++i) ports.push_back(listening[i].port);
  mg_stop(impl_->context);  // joins CivetWeb's threads
  stopped.store(true, std::memory_order_release);
  if (waker.joinable()) waker.join();
  close_orphaned_connections(ports);
  impl_->context = nullptr;
}

Exposer start_http_server(int port, std::string_view addr, const Registry& registry) {
  Exposer::Options options;
  options.listen = {std::string(addr) + ":" + std::to_string(port)};
  options.registries = {&registry};
  return Exposer(options);
}

}  // namespace bentoml::metrics
