// Exposer: a CivetWeb server whose every request goes to serve_metrics_request.
#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/http_server.hpp"
#include "http/civetweb_handler.hpp"
#include "http/civetweb_init.hpp"

namespace bentoml::metrics {

/// One of CivetWeb's listening sockets, found in the descriptor table after mg_start2.
struct Listener {
  ino_t inode = 0;        ///< identifies the socket whatever its descriptor number
  sockaddr_in address{};  ///< the bound address (INADDR_ANY for every interface) and port
};

struct Exposer::Impl {
  detail::EndpointConfig config;
  mg_context* context = nullptr;
  int port = 0;
  std::vector<Listener> listeners;
  std::string wake_address;  ///< IPv4 address stop() connects to when no listener was found
  /// Serializes stop(): two threads stopping at once would both pass mg_stop the same context.
  std::mutex stopping;
};

namespace {

/// Held while a server starts and while one stops: stop() closes the connections CivetWeb
/// leaves behind by their local address, which no other server of this process may then be
/// binding.
std::mutex& lifecycle_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Calls `visit(fd, inode, local address)` for every IPv4 TCP socket of the process. The inode
/// comes from the descriptor's /proc link ("socket:[inode]") rather than fstat: CivetWeb's
/// threads close these descriptors, ordered after this scan by its stop flag, which
/// ThreadSanitizer cannot see in the uninstrumented library (it would report fstat against
/// that close).
template <typename Visit>
void for_each_tcp_socket(Visit&& visit) {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return;
  const int own = dirfd(directory);
  while (const dirent* entry = readdir(directory)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    char link[64];
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t length = readlink(path.c_str(), link, sizeof link - 1);
    if (length <= 9 || std::strncmp(link, "socket:[", 8) != 0) continue;
    link[length] = '\0';
    const auto inode = static_cast<ino_t>(std::strtoull(link + 8, nullptr, 10));
    sockaddr_in local{};
    socklen_t local_length = sizeof local;
    int type = 0;
    socklen_t type_length = sizeof type;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
        local.sin_family != AF_INET ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM) {
      continue;
    }
    visit(fd, inode, local);
  }
  closedir(directory);
}

bool is_listening(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

/// The inodes of the process's listening sockets.
std::set<ino_t> listening_inodes() {
  std::set<ino_t> inodes;
  for_each_tcp_socket([&](int fd, ino_t inode, const sockaddr_in&) {
    if (is_listening(fd)) inodes.insert(inode);
  });
  return inodes;
}

/// Whether a connected socket with this local address was accepted on one of `listeners`.
bool accepted_on(const sockaddr_in& local, const std::vector<Listener>& listeners) {
  for (const Listener& listener : listeners) {
    if (local.sin_port == listener.address.sin_port &&
        (listener.address.sin_addr.s_addr == htonl(INADDR_ANY) ||
         local.sin_addr.s_addr == listener.address.sin_addr.s_addr)) {
      return true;
    }
  }
  return false;
}

int handle_request(mg_connection* connection, void* data) {
  return detail::serve_metrics_request(connection, *static_cast<const detail::EndpointConfig*>(data));
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
  if (options.threads < 1 || options.threads > 4096) {
    throw Error("metrics HTTP server: threads must be 1..4096");
  }
  if (options.request_timeout_ms < 100 || options.request_timeout_ms > 60000) {
    throw Error("metrics HTTP server: request_timeout_ms must be 100..60000");
  }
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
  const std::string request_timeout = std::to_string(options.request_timeout_ms);
  // No document_root: CivetWeb then never serves files or directory listings. CivetWeb gives
  // each connection a worker thread from accept to close, whatever the connection does:
  // - no keep-alive: a connection is closed once answered, so idle kept-alive connections never
  //   hold workers (Prometheus scrapes every 15 s or more and never reuses a connection anyway);
  // - a short request timeout: a connection that sends nothing, or trickles its request, holds a
  //   worker for at most request_timeout_ms (CivetWeb's timer for the request line and headers
  //   does not restart on each byte); it also bounds each stalled write to a client;
  // - request bodies are never read (serve_metrics_request answers and closes);
  // - linger_timeout_ms -1: a plain close, the kernel sends the rest of the response (this
  //   CivetWeb build otherwise sets SO_LINGER 0, whose close resets a connection with data
  //   unsent: a large scrape to a slower reader arrived cut short);
  // - decode_url no: the path must match as sent ("/metrics%00" would decode to "/metrics");
  // - no CORS: CivetWeb would answer an OPTIONS preflight itself, allowing every origin, with a
  //   Date from gmtime(); the preflight gets the handler's 405 instead.
  std::vector<const char*> settings = {
      "listening_ports",
      ports.c_str(),
      "num_threads",
      threads.c_str(),
      "enable_keep_alive",
      "no",
      "request_timeout_ms",
      request_timeout.c_str(),
      "linger_timeout_ms",
      "-1",
      "decode_url",
      "no",
      "access_control_allow_methods",
      "",
      "access_control_allow_origin",
      "",
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
  // CivetWeb's own error pages (malformed requests) date themselves with gmtime(), which races
  // between workers: they are answered with the library's own page instead.
  callbacks.http_error = &detail::answer_civetweb_error;
  mg_init_data init{&callbacks, nullptr, settings.data()};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof error_text};
  std::unique_lock<std::mutex> lifecycle(lifecycle_mutex());
  const std::set<ino_t> listening_before = listening_inodes();
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
  mg_set_request_handler(impl_->context, "/", &handle_request, &impl_->config);
  mg_server_port listening[16] = {};
  const int count = mg_get_server_ports(impl_->context, 16, listening);
  if (count > 0) impl_->port = listening[0].port;
  impl_->wake_address = wake_address(options.listen.front());
  // CivetWeb's listening sockets: the ones this mg_start2 opened on its ports.
  for_each_tcp_socket([&](int fd, ino_t inode, const sockaddr_in& local) {
    if (listening_before.count(inode) != 0 || !is_listening(fd)) return;
    for (int i = 0; i < count; ++i) {
      if (ntohs(local.sin_port) == listening[i].port) {
        impl_->listeners.push_back(Listener{inode, local});
        return;
      }
    }
  });
}

Exposer::Exposer(Exposer&&) noexcept = default;

Exposer& Exposer::operator=(Exposer&& other) noexcept {
  if (this != &other) {
    stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Exposer::~Exposer() { stop(); }

int Exposer::port() const noexcept { return impl_ != nullptr ? impl_->port : 0; }

// CivetWeb 1.15's mg_stop alone leaves accepted connections behind: those still in its queue
// when the workers exit are never closed (the client hangs, the descriptor leaks), workers
// waiting on a silent client notice the stop only after their 2 s poll, and the acceptor after
// its own. So, in this order:
//  1. shut down the reading side of the listening sockets: no more connections are accepted,
//     those the kernel completed but CivetWeb had not accepted are reset, and the acceptor's poll
//     returns at once;
//  2. shut down the reading side of every accepted connection: a worker waiting for a request
//     reads end-of-file and closes it at once; a response being written still goes out;
//  3. mg_stop: sets the stop flag and joins every thread (milliseconds now);
//  4. close the accepted connections CivetWeb left in its queue (the client sees them closed).
// Step 2 finds the connections by their local address (a listener's address and port), step 4
// by the socket inodes step 2 found: no connection is accepted after step 1.
void Exposer::stop() noexcept {
  if (impl_ == nullptr) return;
  // A second caller waits here until the server has stopped, then finds nothing to do.
  const std::lock_guard<std::mutex> stopping(impl_->stopping);
  if (impl_->context == nullptr) return;
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex());
  const std::vector<Listener>& listeners = impl_->listeners;
  std::set<ino_t> accepted;
  for_each_tcp_socket([&](int fd, ino_t inode, const sockaddr_in&) {
    for (const Listener& listener : listeners) {
      if (inode == listener.inode) (void)shutdown(fd, SHUT_RD);
    }
  });
  const auto shut_accepted = [&] {
    for_each_tcp_socket([&](int fd, ino_t inode, const sockaddr_in& local) {
      if (accepted.count(inode) == 0 && !is_listening(fd) && accepted_on(local, listeners)) {
        (void)shutdown(fd, SHUT_RD);
        accepted.insert(inode);
      }
    });
  };
  shut_accepted();
  if (!listeners.empty()) {
    // An accept() the acceptor had started before step 1 gets its descriptor microseconds later.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    shut_accepted();
  }
  std::atomic<bool> stopped{false};
  std::thread waker;
  if (listeners.empty()) {  // no /proc: wake the acceptor with connections instead
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
  }
  mg_stop(impl_->context);  // joins CivetWeb's threads
  stopped.store(true, std::memory_order_release);
  if (waker.joinable()) waker.join();
  impl_->context = nullptr;
  // Every CivetWeb thread has exited: an accepted socket of step 2 still open is one that
  // CivetWeb dropped from its queue. (Only those: once the listeners are closed, a new socket of
  // this process could get a listener's port.)
  std::vector<int> leftover;
  for_each_tcp_socket([&](int fd, ino_t inode, const sockaddr_in&) {
    if (accepted.count(inode) != 0 && !is_listening(fd)) leftover.push_back(fd);
  });
  for (const int fd : leftover) close(fd);
}

Exposer start_http_server(int port, std::string_view addr, const Registry& registry) {
  Exposer::Options options;
  options.listen = {std::string(addr) + ":" + std::to_string(port)};
  options.registries = {&registry};
  return Exposer(options);
}

}  // namespace bentoml::metrics
