// Push, push-add and delete against a real prometheus-pushgateway (Debian package) started here
// on a free loopback port; the gateway's own /metrics is read back with libcurl.
#include "bentoml/metrics/push/pushgateway.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "bentoml/metrics.hpp"

namespace metrics = bentoml::metrics;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A loopback socket bound to a free port; listening if asked (and then never answering).
struct Socket {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  explicit Socket(bool listen) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
    if (listen) ::listen(fd, 4);
  }
  ~Socket() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

size_t keep(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

/// GET `url`; the body, or "" (status in `status`).
std::string get(const std::string& url, long* status = nullptr) {
  std::string body;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &keep);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  long code = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  if (status != nullptr) *status = code;
  return body;
}

class Pushgateway : public ::testing::Test {
 protected:
  void SetUp() override {
    Socket free_port(false);
    port_ = free_port.port;
    free_port.close();
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/bin/prometheus-pushgateway", "prometheus-pushgateway", listen.c_str(),
              // In memory only: Debian's default persists to /var/lib/prometheus.
              "--persistence.file=", "--log.level=error", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    for (int i = 0; i < 200; ++i) {
      long status = 0;
      get(base() + "/-/ready", &status);
      if (status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "prometheus-pushgateway did not become ready on port " << port_;
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  [[nodiscard]] std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string gateway() const { return "127.0.0.1:" + std::to_string(port_); }

  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST(PushgatewayUrl, EscapesAsPrometheusClientDoes) {
  EXPECT_EQ(metrics::pushgateway_url("gw:9091/", "batch", {}), "http://gw:9091/metrics/job/batch");
  EXPECT_EQ(metrics::pushgateway_url("https://gw", "j/b",
                                     {{"z", "a&b+ü"}, {"e", ""}, {"instance", "a/b c"}}),
            "https://gw/metrics/job@base64/ai9i/e@base64/=/instance@base64/YS9iIGM="
            "/z/a%26b%2B%C3%BC");
  EXPECT_EQ(metrics::pushgateway_url("gw", "x", {{"k", "é/"}}),
            "http://gw/metrics/job/x/k@base64/w6kv");
}

TEST_F(Pushgateway, PushPushAddAndDeleteWithGroupingLabels) {
  metrics::Registry registry;
  metrics::Counter jobs{{.name = "batch_jobs", .documentation = "Jobs", .registry = &registry}};
  jobs.inc(3);
  metrics::PushOptions options;
  options.grouping_key = {{"instance", "a/b c"}, {"zone", "eu west+ü&"}};
  options.timeout = std::chrono::seconds(5);
  metrics::push_to_gateway(gateway(), "nightly batch", registry, options);
  const std::string labels = R"({instance="a/b c",job="nightly batch",zone="eu west+ü&"})";
  std::string scraped = get(base() + "/metrics");
  EXPECT_TRUE(contains(scraped, "batch_jobs_total" + labels + " 3\n")) << scraped;
  EXPECT_TRUE(contains(scraped, "batch_jobs_created" + labels)) << scraped;

  // push-add keeps the other metrics of the group; push replaces them all.
  metrics::Registry more;
  metrics::Gauge last{{.name = "last_success", .documentation = "When", .registry = &more}};
  last.set(42);
  metrics::pushadd_to_gateway(gateway(), "nightly batch", more, options);
  scraped = get(base() + "/metrics");
  EXPECT_TRUE(contains(scraped, "last_success" + labels + " 42\n")) << scraped;
  EXPECT_TRUE(contains(scraped, "batch_jobs_total" + labels + " 3\n")) << scraped;
  jobs.inc();
  metrics::push_to_gateway(gateway(), "nightly batch", registry, options);
  scraped = get(base() + "/metrics");
  EXPECT_TRUE(contains(scraped, "batch_jobs_total" + labels + " 4\n")) << scraped;
  EXPECT_FALSE(contains(scraped, "last_success{")) << scraped;

  // Another group is separate; delete removes only the one named.
  metrics::push_to_gateway(gateway(), "other", more, {});
  metrics::delete_from_gateway(gateway(), "nightly batch", options);
  scraped = get(base() + "/metrics");
  EXPECT_FALSE(contains(scraped, "batch_jobs_total{")) << scraped;
  EXPECT_TRUE(contains(scraped, R"(last_success{instance="",job="other"} 42)")) << scraped;
}

TEST_F(Pushgateway, RejectedPushNamesTheUrlAndStatus) {
  metrics::Registry registry;
  metrics::Gauge gauge{{.name = "g", .documentation = "d", .registry = &registry}};
  try {
    metrics::push_to_gateway(gateway(), "", registry, {});  // the gateway requires a job name
    FAIL() << "no error";
  } catch (const metrics::Error& error) {
    const std::string message = error.what();
    EXPECT_TRUE(contains(message, base() + "/metrics/job@base64/=")) << message;
    EXPECT_TRUE(contains(message, "HTTP 400")) << message;
    EXPECT_TRUE(contains(message, "job name is required")) << message;
  }
}

TEST(PushgatewayUnreachable, ErrorNamesTheUrlWithinTheTimeout) {
  metrics::Registry registry;
  metrics::PushOptions options;
  options.timeout = std::chrono::milliseconds(300);
  {
    Socket nobody(false);  // bound, not listening: connection refused
    const std::string gateway = "127.0.0.1:" + std::to_string(nobody.port);
    const auto start = std::chrono::steady_clock::now();
    try {
      metrics::push_to_gateway(gateway, "j", registry, options);
      FAIL() << "no error";
    } catch (const metrics::Error& error) {
      EXPECT_TRUE(contains(error.what(), "http://" + gateway + "/metrics/job/j")) << error.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  {
    Socket silent(true);  // accepts connections (backlog) and never answers
    const std::string gateway = "127.0.0.1:" + std::to_string(silent.port);
    const auto start = std::chrono::steady_clock::now();
    try {
      metrics::delete_from_gateway(gateway, "j", options);
      FAIL() << "no error";
    } catch (const metrics::Error& error) {
      EXPECT_TRUE(contains(error.what(), "http://" + gateway + "/metrics/job/j")) << error.what();
      EXPECT_TRUE(contains(error.what(), "imeout") || contains(error.what(), "timed out"))
          << error.what();
    }
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, std::chrono::milliseconds(250));
    EXPECT_LT(took, std::chrono::seconds(2));
  }
}

// The Debian gateway's basic auth needs a bcrypt hash this machine cannot make; a loopback
// listener shows the request the gateway would get instead.
TEST(PushgatewayBasicAuth, SendsTheCredentialsAndTheTextFormat) {
  Socket listener(true);
  std::string request;
  std::thread server([&] {
    const int connection = ::accept(listener.fd, nullptr, nullptr);
    char buffer[4096];
    while (!contains(request, "\r\n\r\n") || !contains(request, "x_total")) {
      const ssize_t got = ::read(connection, buffer, sizeof buffer);
      if (got <= 0) break;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)::write(connection, answer.data(), answer.size());
    ::close(connection);
  });
  metrics::Registry registry;
  metrics::Counter counter{{.name = "x", .documentation = "d", .registry = &registry}};
  metrics::PushOptions options;
  options.username = "user";
  options.password = "secret";
  options.timeout = std::chrono::seconds(5);
  metrics::pushadd_to_gateway("127.0.0.1:" + std::to_string(listener.port), "j", registry, options);
  server.join();
  EXPECT_TRUE(contains(request, "POST /metrics/job/j HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(contains(request, "Authorization: Basic dXNlcjpzZWNyZXQ=\r\n")) << request;
  EXPECT_TRUE(contains(request, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
      << request;
  EXPECT_TRUE(contains(request, "\r\n\r\n# HELP x_total d\n# TYPE x_total counter\nx_total 0.0\n"))
      << request;
}
