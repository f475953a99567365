// The endpoint under hostile and slow clients: while attacker connections stay open (silent,
// trickling, half-sent, slow body, idle after a request), a scraper polling every 100 ms with
// Prometheus's headers must get every answer within 1 s; malformed requests get a clean answer or
// a closed connection; stop() answers or closes every accepted connection at once; start/stop
// cycles and scrapes leak no descriptor or thread. Every test is bounded (a few seconds each);
// ENDPOINT_HOSTILE_SECONDS=60, ENDPOINT_HOSTILE_CYCLES=1000 and ENDPOINT_HOSTILE_SCRAPES=100000
// run them at the size of the README's figures; ENDPOINT_HOSTILE_ATTACKERS sets the number of
// attacker connections of every attack, ENDPOINT_HOSTILE_THREADS the server's workers.
#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bentoml/metrics.hpp"
#include "bentoml/metrics/http_server.hpp"

namespace metrics = bentoml::metrics;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// How long each attack lasts: 5 s, or ENDPOINT_HOSTILE_SECONDS.
double attack_seconds() {
  const char* value = std::getenv("ENDPOINT_HOSTILE_SECONDS");
  return value != nullptr && std::atof(value) > 0 ? std::atof(value) : 5.0;
}

/// A count from the environment (for the longer runs of the README's figures), or `fallback`.
int scaled(const char* variable, int fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : fallback;
}

int count_entries(const char* directory) {
  DIR* dir = opendir(directory);
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count - (std::strcmp(directory, "/proc/self/fd") == 0 ? 1 : 0);  // opendir's own
}
long resident_kib() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::atol(line + 6);
  }
  std::fclose(status);
  return kib;
}
int open_descriptors() { return count_entries("/proc/self/fd"); }
int threads_now() { return count_entries("/proc/self/task"); }

void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
}

/// A blocking TCP connection to 127.0.0.1:port, or -1.
int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int on = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

struct Reply {
  int status = -1;      ///< -1: no status line
  bool closed = false;  ///< the server closed (or reset) the connection
  std::string bytes;
  double seconds = 0;  ///< until the status line (or the close, without one)
};

/// Reads until the server closes the connection or `timeout` passes.
Reply read_reply(int fd, double timeout, Clock::time_point start = Clock::now()) {
  Reply reply;
  bool timed = false;
  char buffer[65536];
  while (true) {
    const double left = timeout - seconds_since(start);
    if (left <= 0) break;
    pollfd waiting{fd, POLLIN, 0};
    if (poll(&waiting, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
    const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) {
      reply.closed = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<std::size_t>(got));
    if (!timed && reply.bytes.find("\r\n") != std::string::npos) {
      timed = true;
      reply.seconds = seconds_since(start);
    }
  }
  if (!timed) reply.seconds = seconds_since(start);
  if (reply.bytes.rfind("HTTP/1.", 0) == 0 && reply.bytes.size() >= 12) {
    reply.status = std::atoi(reply.bytes.c_str() + 9);
  }
  return reply;
}

/// Sends `request` on a new connection and reads the reply (until close or `timeout`).
Reply exchange(int port, std::string_view request, double timeout = 3.0) {
  const auto start = Clock::now();
  const int fd = connect_to(port);
  if (fd < 0) return Reply{};
  (void)send_all(fd, request);
  Reply reply = read_reply(fd, timeout, start);
  close(fd);
  return reply;
}

constexpr std::string_view kPrometheusRequest =
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.45.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";

/// A whole scrape: status 200 and the announced number of body bytes before the close.
bool complete_scrape(const Reply& reply) {
  const std::size_t end = reply.bytes.find("\r\n\r\n");
  if (reply.status != 200 || end == std::string::npos) return false;
  const std::size_t length = reply.bytes.find("Content-Length: ");
  if (length == std::string::npos || length > end) return false;
  return reply.bytes.size() - end - 4 ==
         static_cast<std::size_t>(std::atoll(reply.bytes.c_str() + length + 16));
}

/// A legitimate scraper: a scrape every 100 ms with Prometheus's headers until stopped.
class Scraper {
 public:
  explicit Scraper(int port) : port_(port), thread_([this] { run(); }) {}
  ~Scraper() { stop(); }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  int scrapes() const { return scrapes_; }
  int failures() const { return failures_; }
  double worst_seconds() const { return worst_; }

 private:
  void run() {
    while (running_) {
      const auto start = Clock::now();
      const Reply reply = exchange(port_, kPrometheusRequest, 5.0);
      const double took = seconds_since(start);
      ++scrapes_;
      if (!complete_scrape(reply) && failures_++ == 0) {
        std::printf("  first failed scrape: status %d, %zu bytes, closed %d: %s\n", reply.status,
                    reply.bytes.size(), reply.closed ? 1 : 0, reply.bytes.substr(0, 200).c_str());
      }
      if (took > worst_) worst_ = took;
      std::this_thread::sleep_until(start + 100ms);
    }
  }
  int port_;
  std::atomic<bool> running_{true};
  std::atomic<int> scrapes_{0};
  std::atomic<int> failures_{0};
  std::atomic<double> worst_{0};
  std::thread thread_;
};

enum class Attack {
  kSilent,
  kTrickleHeaders,
  kTrickleRequestLine,
  kHalfSent,
  kSlowBody,
  kIdleAfterRequest
};

/// `count` attacker connections of one kind, each reopened as soon as the server closes it (the
/// attacker keeps the pressure on), until destroyed.
class Attackers {
 public:
  Attackers(int port, int count, Attack attack, std::chrono::milliseconds pace = 500ms,
            bool reopen = true)
      : port_(port), attack_(attack), pace_(pace), reopen_(reopen), slots_(count) {
    for (Slot& slot : slots_) open(slot);
    thread_ = std::thread([this] { run(); });
  }
  ~Attackers() {
    running_ = false;
    thread_.join();
    for (Slot& slot : slots_) {
      if (slot.fd >= 0) close(slot.fd);
    }
  }
  int reopened() const { return reopened_; }
  int open_now() const { return open_now_; }

 private:
  struct Slot {
    int fd = -1;
    std::size_t sent = 0;
    Clock::time_point next{};
  };

  std::string_view script() const {
    switch (attack_) {
      case Attack::kTrickleHeaders:
        return "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      case Attack::kTrickleRequestLine:
        return "GET /metrics?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      case Attack::kSlowBody:
        return "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";
      default:
        return "";
    }
  }

  void open(Slot& slot) {
    slot.fd = connect_to(port_);
    slot.sent = 0;
    slot.next = Clock::now();
    if (slot.fd < 0) return;
    switch (attack_) {
      case Attack::kTrickleHeaders:
        (void)send_all(slot.fd, "GET /metrics HTTP/1.1\r\n");
        break;
      case Attack::kHalfSent:
        (void)send_all(slot.fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n");
        break;
      case Attack::kSlowBody:
        (void)send_all(slot.fd,
                       "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
        break;
      case Attack::kIdleAfterRequest:
        (void)send_all(slot.fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
        break;
      default:
        break;
    }
  }

  void run() {
    std::vector<pollfd> waiting(slots_.size());
    char buffer[4096];
    while (running_) {
      int open_count = 0;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        waiting[i] = pollfd{slots_[i].fd, POLLIN, 0};
        open_count += slots_[i].fd >= 0;
      }
      open_now_ = open_count;
      (void)poll(waiting.data(), waiting.size(), 20);
      const auto now = Clock::now();
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (slot.fd < 0) {
          if (reopen_) open(slot);
          continue;
        }
        if ((waiting[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          const ssize_t got = recv(slot.fd, buffer, sizeof buffer, MSG_DONTWAIT);
          if (got <= 0) {  // closed by the server: come back
            close(slot.fd);
            slot.fd = -1;
            if (reopen_) {
              ++reopened_;
              open(slot);
            }
            continue;
          }
        }
        const std::string_view bytes = script();
        if (!bytes.empty() && now >= slot.next) {
          (void)send(slot.fd, bytes.data() + slot.sent % bytes.size(), 1, MSG_NOSIGNAL);
          ++slot.sent;
          slot.next = now + pace_;
        }
      }
    }
  }

  int port_;
  Attack attack_;
  std::chrono::milliseconds pace_;
  bool reopen_;
  std::vector<Slot> slots_;
  std::atomic<bool> running_{true};
  std::atomic<int> reopened_{0};
  std::atomic<int> open_now_{0};
  std::thread thread_;
};

/// The registry of the scenario: 10,000 series, two threads recording into it.
class Scenario {
 public:
  Scenario() {
    for (int i = 0; i < 10000; ++i) counter_.labels({std::to_string(i)}).inc();
    for (int t = 0; t < 2; ++t) {
      recorders_.emplace_back([this, t] {
        auto child = counter_.labels({std::to_string(t)});
        while (running_.load(std::memory_order_relaxed)) {
          for (int i = 0; i < 1000; ++i) child.inc();
          std::this_thread::sleep_for(1ms);
        }
      });
    }
  }
  ~Scenario() {
    running_ = false;
    for (auto& thread : recorders_) thread.join();
  }
  metrics::Exposer::Options options() {
    metrics::Exposer::Options options;
    options.listen = {"127.0.0.1:0"};
    options.registries = {&registry_};
    options.threads = scaled("ENDPOINT_HOSTILE_THREADS", options.threads);
    return options;
  }

 private:
  metrics::Registry registry_;
  metrics::Counter counter_{
      {.name = "requests", .documentation = "d", .labelnames = {"i"}, .registry = &registry_}};
  std::atomic<bool> running_{true};
  std::vector<std::thread> recorders_;
};

/// Runs `attackers` against a server with `options` while a scraper polls; expects every scrape
/// answered within 1 s.
void expect_scrapes_unharmed(Scenario& scenario, metrics::Exposer::Options options, int count,
                             Attack attack, std::chrono::milliseconds pace = 500ms,
                             bool reopen = true) {
  raise_descriptor_limit();
  count = scaled("ENDPOINT_HOSTILE_ATTACKERS", count);
  metrics::Exposer server(options);
  Attackers attackers(server.port(), count, attack, pace, reopen);
  std::this_thread::sleep_for(300ms);  // the attack is in place before the first scrape
  Scraper scraper(server.port());
  std::this_thread::sleep_for(std::chrono::duration<double>(attack_seconds()));
  scraper.stop();
  std::printf("  %d attackers: %d scrapes, %d failed, worst %.3f s, %d reconnections\n", count,
              scraper.scrapes(), scraper.failures(), scraper.worst_seconds(), attackers.reopened());
  EXPECT_GE(scraper.scrapes(), static_cast<int>(attack_seconds() * 10 * 0.5));
  EXPECT_EQ(scraper.failures(), 0);
  EXPECT_LT(scraper.worst_seconds(), 1.0);
}

}  // namespace

TEST(EndpointHostile, SilentConnectionsDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 200, Attack::kSilent);
}

TEST(EndpointHostile, TricklingHeadersDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 200, Attack::kTrickleHeaders, 500ms);
}

TEST(EndpointHostile, TricklingRequestLinesDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 200, Attack::kTrickleRequestLine, 500ms);
}

TEST(EndpointHostile, HalfSentRequestsDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 200, Attack::kHalfSent);
}

TEST(EndpointHostile, SlowBodiesDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 200, Attack::kSlowBody, 1000ms);
}

TEST(EndpointHostile, SilentReconnectionsDoNotDelayScrapes) {
  // With the default 2 workers and 10 s timeout of old, 2 such attackers made scrapes take 10 s.
  Scenario scenario;
  auto options = scenario.options();
  options.threads = 4;
  expect_scrapes_unharmed(scenario, options, 2, Attack::kSilent);
}

TEST(EndpointHostile, TwoThousandIdleConnectionsAfterARequestDoNotDelayScrapes) {
  Scenario scenario;
  expect_scrapes_unharmed(scenario, scenario.options(), 2000, Attack::kIdleAfterRequest, 500ms,
                          false);
}

TEST(EndpointHostile, ABodyIsRefusedAtOnceAndTheConnectionClosed) {
  Scenario scenario;
  auto options = scenario.options();
  options.basic_auth = {"user", "secret"};
  metrics::Exposer server(options);
  const std::string auth = "Authorization: Basic dXNlcjpzZWNyZXQ=\r\n";  // user:secret
  struct Case {
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 1000000000\r\n\r\nx", 400},
      {"HEAD /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 5\r\n\r\nx", 400},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n5\r\n",
       400},
      {"GET /other HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nx", 404},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nx", 401},
      {"POST /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 1000000000\r\n\r\nx", 405},
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
  };
  for (const Case& c : cases) {
    const auto start = Clock::now();
    const Reply reply = exchange(server.port(), c.request, 3.0);
    EXPECT_EQ(reply.status, c.status) << c.request;
    EXPECT_TRUE(reply.closed) << c.request;  // answered, then closed without reading the body
    EXPECT_LT(seconds_since(start), 1.0) << c.request;
  }
  // A GET with "Content-Length: 0" has no body: served.
  const Reply empty = exchange(
      server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(empty.status, 200);
}

TEST(EndpointHostile, BasicSchemeIsCaseInsensitive) {
  metrics::Registry registry;
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.basic_auth = {"user", "secret"};
  metrics::Exposer server(options);
  const std::string token = "dXNlcjpzZWNyZXQ=";  // user:secret
  for (const std::string scheme : {"Basic", "basic", "BASIC", "bAsIc"}) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: " + scheme + "  " + token + "\r\n\r\n";
    EXPECT_EQ(exchange(server.port(), request).status, 200) << scheme;
  }
  for (const std::string& value : std::vector<std::string>{
           "Basic", "Basic ", "Basicc " + token, "Bearer " + token, token, "Basic " + token + "x",
           "Basic dXNlcjpzZWNyZXQ", "Basic dXNlcjp3cm9uZw==", "Digest " + token, " Basic"}) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: " + value + "\r\n\r\n";
    const Reply reply = exchange(server.port(), request);
    EXPECT_EQ(reply.status, 401) << value;
    EXPECT_EQ(reply.bytes.find("# HELP"), std::string::npos) << value;
  }
}

namespace {

/// One malformed request: what it is, its bytes, and the statuses it may get (0: the connection
/// may also be closed without a status).
struct Malformed {
  std::string name;
  std::string bytes;
  std::vector<int> statuses;
};

std::vector<Malformed> malformed_requests() {
  const std::string ok = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  std::vector<Malformed> table = {
      {"garbage", "\x01\x02\x03\xff\xfe garbage\r\n\r\n", {400}},
      {"empty line", "\r\n\r\n", {400, 0}},
      {"spaces", "   \r\n\r\n", {400}},
      {"1 MB request line",
       "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\n\r\n",
       {413, 400, 0}},
      {"40 KB header", ok + "X-Big: " + std::string(40000, 'a') + "\r\n\r\n", {413, 400, 0}},
      {"10,000 headers",
       [] {
         std::string r = "GET /metrics HTTP/1.1\r\n";
         for (int i = 0; i < 10000; ++i) r += "X-" + std::to_string(i) + ": y\r\n";
         return r + "\r\n";
       }(),
       {413, 400, 0}},
      {"65 headers",
       [] {
         std::string r = "GET /metrics HTTP/1.1\r\n";
         for (int i = 0; i < 65; ++i) r += "X-" + std::to_string(i) + ": y\r\n";
         return r + "\r\n";
       }(),
       {200, 400, 413, 431}},
      {"no version", "GET /metrics\r\n\r\n", {400, 505}},
      {"HTTP/0.9", "GET /metrics\r\n", {400, 505, 0}},
      {"HTTP/2.0", "GET /metrics HTTP/2.0\r\n\r\n", {505, 400}},
      {"HTTP/1.2", "GET /metrics HTTP/1.2\r\n\r\n", {505, 400}},
      {"HTTP/3", "GET /metrics HTTP/3\r\n\r\n", {505, 400}},
      {"bad version", "GET /metrics HTTX/1.1\r\n\r\n", {400, 505}},
      {"HTTP/2 preface", std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), {400, 405, 505, 0}},
      {"lowercase method", "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405}},
      {"unknown method", "FOO /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405}},
      {"long method", std::string(100, 'G') + " /metrics HTTP/1.1\r\n\r\n", {400, 405}},
      {"CONNECT", "CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 0}},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", {405, 400, 0}},
      {"GET *", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", {404, 400, 0}},
      {"absolute URI",
       "GET http://127.0.0.1/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
       {200, 400, 404, 0}},
      {"absolute URI elsewhere", "GET http://example.com/metrics HTTP/1.1\r\n\r\n", {400, 404, 0}},
      {"no slash", "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {404, 400}},
      {"encoded traversal",
       "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
       {404, 400}},
      {"traversal to metrics", "GET /x/../metrics HTTP/1.1\r\nHost: x\r\n\r\n", {200, 404, 400}},
      {"encoded NUL", "GET /metrics%00 HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"encoded NUL and more", "GET /metrics%00.html HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"raw NUL", std::string("GET /metrics\0x HTTP/1.1\r\nHost: x\r\n\r\n", 38), {400, 404}},
      {"bad percent", "GET /metrics%zz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"control chars", "GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
      {"tab in target", "GET /met\trics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, 505}},
      {"LF only", "GET /metrics HTTP/1.1\nHost: x\n\n", {200, 400}},
      {"header without colon", ok + "NoColon\r\n\r\n", {200, 400}},
      {"header with space before colon", ok + "Accept : text/plain\r\n\r\n", {200, 400}},
      {"obsolete line folding", ok + "Accept: text/plain\r\n  ;q=1\r\n\r\n", {200, 400}},
      {"chunked GET", ok + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400, 411}},
      {"Content-Length and chunked",
       ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       {400}},
      {"negative Content-Length", ok + "Content-Length: -1\r\n\r\n", {400, 411}},
      {"huge Content-Length", ok + "Content-Length: 99999999999999999999999\r\n\r\n", {400, 411}},
      {"text Content-Length", ok + "Content-Length: abc\r\n\r\n", {400, 411}},
      {"two Content-Lengths", ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx", {400, 411}},
      {"unknown Transfer-Encoding", ok + "Transfer-Encoding: gzip\r\n\r\n", {400, 411, 501}},
      {"POST with body", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", {405}},
      {"POST without length", "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {405, 411}},
      {"Expect 100-continue",
       ok + "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n",
       {400, 417}},
      {"Upgrade h2c",
       ok + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n",
       {200, 400}},
      {"Upgrade websocket",
       ok + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
       {200, 400, 404}},
      {"pipelined", ok + "\r\n" + ok + "\r\n", {200}},
      {"pipelined garbage", ok + "\r\n" + "garbage\r\n\r\n", {200}},
      {"HTTP/1.0 no Host", "GET /metrics HTTP/1.0\r\n\r\n", {200}},
      {"HTTP/1.1 no Host", "GET /metrics HTTP/1.1\r\n\r\n", {200, 400}},
      {"two Hosts", ok + "Host: y\r\n\r\n", {200, 400}},
      {"empty header name", ok + ": x\r\n\r\n", {200, 400}},
      {"query", "GET /metrics?a=b&c[]=d HTTP/1.1\r\nHost: x\r\n\r\n", {200}},
      {"fragment", "GET /metrics#x HTTP/1.1\r\nHost: x\r\n\r\n", {200, 400, 404}},
      {"double slash", "GET //metrics HTTP/1.1\r\nHost: x\r\n\r\n", {200, 404}},
      {"trailing slash", "GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n", {404}},
      {"uppercase path", "GET /METRICS HTTP/1.1\r\nHost: x\r\n\r\n", {404}},
      {"index.html", "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", {404}},
      {"DELETE", "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {405}},
      {"PUT", "PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", {405}},
      {"PROPFIND", "PROPFIND /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {405, 400}},
      {"TRACE", "TRACE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {405, 400}},
      {"Range", ok + "Range: bytes=0-10\r\n\r\n", {200}},
      {"If-Modified-Since", ok + "If-Modified-Since: garbage\r\n\r\n", {200}},
  };
  // Methods CivetWeb knows or not, none of them served.
  for (const std::string method :
       {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "PROPFIND", "MKCOL",
        "LOCK", "UNLOCK", "MOVE", "COPY", "REPORT", "Get", "GET\x01", "G ET"}) {
    table.push_back(
        {"method " + method, method + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 0}});
  }
  // Request targets that are not the path.
  for (const std::string target :
       {"/metrics/..", "/metrics/.", "/./metrics/x", "/metrics;x", "/metrics%2f", "/metrics%2F..",
        "/%6detrics", "/metrics%20", "/metrics%", "/metrics%0", "/metrics%0d%0a", "/metrics\\",
        "/\\metrics", "/metrics?%00", "//", "/.%2e/metrics"}) {
    table.push_back(
        {"target " + target, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n", {200, 400, 404}});
  }
  // Versions.
  for (const std::string version : {"HTTP/1.1 x", "HTTP/1.10", "HTTP/01.1", "http/1.1", "HTTP/1",
                                    "HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1"}) {
    table.push_back({"version " + version.substr(0, 12),
                     "GET /metrics " + version + "\r\nHost: x\r\n\r\n",
                     {200, 400, 505}});
  }
  // Odd Accept, Accept-Encoding and Authorization values on an open server: always served.
  for (const std::string& accept : std::vector<std::string>{
           "", "*/*", "text/plain;version=9.9", "application/openmetrics-text;version=9",
           "application/openmetrics-text;q=abc", ";;;,,,", std::string(8000, ','),
           "application/openmetrics-text; version=1.0.0; q=0", "text/html"}) {
    table.push_back(
        {"Accept '" + accept.substr(0, 40) + "'", ok + "Accept: " + accept + "\r\n\r\n", {200}});
  }
  for (const std::string& encoding :
       std::vector<std::string>{"", "gzip;q=0", "GZIP", "x-gzip", "br, deflate", "*;q=0",
                                "gzip;q=abc", "gzip, gzip, gzip", std::string(8000, ' ')}) {
    table.push_back({"Accept-Encoding '" + encoding.substr(0, 40) + "'",
                     ok + "Accept-Encoding: " + encoding + "\r\n\r\n",
                     {200}});
  }
  for (const std::string& authorization :
       std::vector<std::string>{"", "Basic", "Basic !!!", "Bearer x", std::string(8000, 'A')}) {
    table.push_back({"Authorization '" + authorization.substr(0, 40) + "' (no auth configured)",
                     ok + "Authorization: " + authorization + "\r\n\r\n",
                     {200}});
  }
  return table;
}

}  // namespace

TEST(EndpointHostile, MalformedRequestsGetACleanAnswerAndScrapesContinue) {
  Scenario scenario;
  metrics::Exposer server(scenario.options());
  const auto table = malformed_requests();
  std::printf("  %zu malformed requests\n", table.size());
  std::vector<Reply> replies(table.size());
  std::vector<double> durations(table.size());
  // In parallel, 16 at a time: a request the server waits on costs request_timeout_ms at most.
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 16; ++t) {
    senders.emplace_back([&] {
      for (std::size_t i; (i = next++) < table.size();) {
        const auto start = Clock::now();
        replies[i] = exchange(server.port(), table[i].bytes, 5.0);
        durations[i] = seconds_since(start);
      }
    });
  }
  for (auto& thread : senders) thread.join();
  for (std::size_t i = 0; i < table.size(); ++i) {
    const auto& allowed = table[i].statuses;
    const bool closed_without_status = replies[i].status == -1 && replies[i].closed;
    const bool expected =
        std::find(allowed.begin(), allowed.end(), replies[i].status) != allowed.end() ||
        (closed_without_status && std::find(allowed.begin(), allowed.end(), 0) != allowed.end());
    EXPECT_TRUE(expected) << table[i].name << ": got " << replies[i].status << " "
                          << replies[i].bytes.substr(0, 120);
    EXPECT_TRUE(replies[i].closed) << table[i].name << ": the connection stayed open";
    EXPECT_LT(durations[i], 4.0) << table[i].name;  // request_timeout_ms is 2 s, plus a scrape
    if (replies[i].status >= 400) {
      // The library's own error page: one Date header, and no echo of the request.
      EXPECT_NE(replies[i].bytes.find("\r\nDate: "), std::string::npos) << table[i].name;
      EXPECT_EQ(replies[i].bytes.find("\r\nDate: ", replies[i].bytes.find("\r\nDate: ") + 1),
                std::string::npos)
          << table[i].name;
    }
  }
  EXPECT_TRUE(complete_scrape(exchange(server.port(), kPrometheusRequest)));
}

TEST(EndpointHostile, StopAnswersOrClosesEveryAcceptedConnectionAtOnce) {
  raise_descriptor_limit();
  metrics::Registry registry;
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 4;
  const int descriptors = open_descriptors();
  int hanging = 0;
  double slowest_stop = 0;
  for (int round = 0; round < 40; ++round) {
    auto server = std::make_unique<metrics::Exposer>(options);
    const int port = server->port();
    // Three clients arriving while the server stops, and 8 silent ones already queued behind
    // the 4 workers.
    std::vector<int> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(connect_to(port));
    std::vector<std::thread> arriving;
    std::mutex mutex;
    for (int i = 0; i < 3; ++i) {
      arriving.emplace_back([&, i] {
        std::this_thread::sleep_for(std::chrono::milliseconds(i * 2));
        const int fd = connect_to(port);
        if (fd < 0) return;  // refused: the server had stopped listening
        (void)send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        std::lock_guard<std::mutex> lock(mutex);
        clients.push_back(fd);
      });
    }
    std::this_thread::sleep_for(2ms);
    const auto start = Clock::now();
    server.reset();
    slowest_stop = std::max(slowest_stop, seconds_since(start));
    for (auto& thread : arriving) thread.join();
    for (const int fd : clients) {
      if (fd < 0) continue;
      // Answered or closed: the reply ends with the server's close, at once.
      const Reply reply = read_reply(fd, 0.5);
      hanging += reply.closed ? 0 : 1;
      close(fd);
    }
  }
  std::printf("  slowest stop %.3f s, %d clients left hanging\n", slowest_stop, hanging);
  EXPECT_EQ(hanging, 0);
  EXPECT_LT(slowest_stop, 1.0);  // milliseconds when idle; under load, still well under 1 s
  EXPECT_EQ(open_descriptors(), descriptors);
}

TEST(EndpointHostile, DestroyingTheServerWithSlowConnectionsClosesThemAll) {
  raise_descriptor_limit();
  metrics::Registry registry;
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 16;
  const int descriptors = open_descriptors();
  auto server = std::make_unique<metrics::Exposer>(options);
  std::vector<int> clients;
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_to(server->port());
    if (i % 2 == 0) (void)send_all(fd, "GET /metrics HTTP/1.1\r\nHo");
    clients.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  server.reset();
  const double took = seconds_since(start);
  int hanging = 0;
  for (const int fd : clients) {
    hanging += read_reply(fd, 0.5).closed ? 0 : 1;
    close(fd);
  }
  std::printf("  destructor %.3f s, %d of 50 clients left hanging\n", took, hanging);
  EXPECT_LT(took, 1.0);
  EXPECT_EQ(hanging, 0);
  EXPECT_EQ(open_descriptors(), descriptors);
}

TEST(EndpointHostile, StartStopCyclesLeakNoDescriptorOrThread) {
  raise_descriptor_limit();
  metrics::Registry registry;
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  options.threads = 4;
  const int descriptors = open_descriptors();
  const int threads = threads_now();
  std::atomic<int> port{0};
  std::atomic<bool> running{true};
  // Load: clients connecting all the time, to whatever server is up.
  std::thread load([&] {
    while (running) {
      const int p = port.load();
      if (p > 0) (void)exchange(p, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1.0);
    }
  });
  const int cycles = scaled("ENDPOINT_HOSTILE_CYCLES", 300);
  const auto start = Clock::now();
  double slowest = 0;
  for (int i = 0; i < cycles; ++i) {
    metrics::Exposer server(options);
    port = server.port();
    std::this_thread::sleep_for(1ms);
    const auto stop_start = Clock::now();
    server.stop();
    slowest = std::max(slowest, seconds_since(stop_start));
  }
  running = false;
  load.join();
  std::printf(
      "  %d cycles in %.1f s, slowest stop %.3f s, descriptors %d -> %d, threads %d -> %d\n",
      cycles, seconds_since(start), slowest, descriptors, open_descriptors(), threads,
      threads_now());
  EXPECT_EQ(open_descriptors(), descriptors);
  EXPECT_EQ(threads_now(), threads);
  EXPECT_LT(slowest, 1.0);
}

TEST(EndpointHostile, ScrapesLeakNoDescriptor) {
  metrics::Registry registry;
  metrics::Counter counter{
      {.name = "c", .documentation = "d", .labelnames = {"i"}, .registry = &registry}};
  for (int i = 0; i < 100; ++i) counter.labels({std::to_string(i)}).inc();
  metrics::Exposer::Options options;
  options.listen = {"127.0.0.1:0"};
  options.registries = {&registry};
  metrics::Exposer server(options);
  const std::string requests[] = {
      std::string(kPrometheusRequest),
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"};
  for (int i = 0; i < 300; ++i) (void)exchange(server.port(), requests[i % 3]);  // warm
  std::this_thread::sleep_for(100ms);
  const int descriptors = open_descriptors();
  const long resident = resident_kib();
  int failures = 0;
  const int scrapes = scaled("ENDPOINT_HOSTILE_SCRAPES", 3000);
  for (int i = 0; i < scrapes; ++i)
    failures += complete_scrape(exchange(server.port(), requests[i % 3])) ? 0 : 1;
  std::this_thread::sleep_for(100ms);  // the last connection's close by the worker
  std::printf("  %d scrapes: descriptors %d -> %d, resident %ld -> %ld KiB\n", scrapes, descriptors,
              open_descriptors(), resident, resident_kib());
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(open_descriptors(), descriptors);
  EXPECT_LT(resident_kib() - resident, 4096);
}
