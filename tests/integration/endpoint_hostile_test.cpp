// The endpoint under hostile and slow clients: while attacker connections stay open (silent,
// trickling, half-sent, slow body, idle after a request), a scraper polling every 100 ms with
// Prometheus's headers must get every answer within 1 s; a request body is refused at once and
// its connection closed; the Basic scheme matches in any case. Each attack lasts 5 s
// (ENDPOINT_HOSTILE_SECONDS=60 for the README's figures, endpoint_client.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "endpoint_client.hpp"

using namespace endpoint_test;  // NOLINT: the test support of these files only

namespace {

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
  // One scrape each 100 ms when unharmed; a quarter of that leaves room for a loaded machine
  // under a sanitizer, and still fails an endpoint whose scrapes take most of a second.
  EXPECT_GE(scraper.scrapes(), static_cast<int>(attack_seconds() * 10 * 0.25));
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
