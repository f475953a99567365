// The HTTP request path through the real request handler: a real Exposer (CivetWeb, basic auth,
// gzip) on 127.0.0.1 and a free port, and each input sent to it over loopback as one request
// (method, path, query, Accept, Accept-Encoding with q-values, Authorization, other headers), or
// as raw bytes. Why over loopback: the handler reads the request from a CivetWeb connection, and
// a real server is the only faithful source of one (CivetWeb's own parsing, keep-alive and
// error paths included). The pure parts (content negotiation, Accept-Encoding) are also called
// directly with the same header values, and the response must agree with them.
//
// Checks: the server answers every well-formed request within 5 s (no hang, no crash); a 200
// has the Content-Type negotiate_format() chose and is gzipped exactly when accepts_gzip() says
// so; Content-Length matches the body, which (gunzipped) is the exposition; wrong credentials
// never get a 200.
#include <arpa/inet.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <bentoml/metrics.hpp>
#include <bentoml/metrics/http_server.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/gzip.hpp"

namespace metrics = bentoml::metrics;

namespace {

constexpr std::string_view kGoodAuthorization = "Basic dXNlcjpwYXNz";  // user:pass

struct Server {
  metrics::Registry registry;
  metrics::Counter counter{{.name = "requests", .documentation = "Requests.",
                            .labelnames = {"code"}, .registry = &registry}};
  metrics::Histogram histogram{{.name = "latency", .documentation = "Latency.",
                                .registry = &registry}};
  std::unique_ptr<metrics::Exposer> exposer;
  Server() {
    counter.labels({"200"}).inc();
    histogram.observe(0.1);
    metrics::Exposer::Options options;
    options.listen = {"127.0.0.1:0"};
    options.registries = {&registry};
    options.basic_auth = {"user", "pass"};
    exposer = std::make_unique<metrics::Exposer>(options);
  }
};

Server& server() {
  static Server* instance = new Server();  // lives to the end of the process
  return *instance;
}

/// Sends `request`, half-closes, and reads until the server closes. Fails after 5 s.
std::string send_request(int port, std::string_view request) {
  // Thousands of connections a second: each from its own loopback source address (127.0.0.0/8
  // is all local), closed with a reset, so that TIME_WAIT never exhausts the ephemeral ports.
  static std::uint32_t next_source = 0;
  int fd = -1;
  for (int attempt = 0;; ++attempt) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fuzz::fail("socket()");
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(0x7f000000u | (2 + next_source++ % 250) << 8 | 1);
    ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) break;
    ::close(fd);
    if (attempt == 50) fuzz::fail("connect() to the Exposer failed 50 times");
    ::usleep(100 * 1000);
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a bad request
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buffer[16384];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fuzz::fail("no answer within 5 s", request);
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

std::string header_of(std::string_view head, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    if (head.substr(pos, name.size()) == name && head.substr(pos + name.size(), 2) == ": ") {
      const std::size_t start = pos + name.size() + 2;
      return std::string(head.substr(start, head.find("\r\n", start) - start));
    }
  }
  return {};
}

std::string gunzip(const std::string& body) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) fuzz::fail("inflateInit2");
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  char buffer[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) fuzz::fail("gzip body does not decompress");
  return out;
}

/// Values CivetWeb passes on unchanged: printable ASCII, no leading or trailing blank (CivetWeb
/// answers 400 to a request line with bytes past 0x7e).
bool plain_value(std::string_view value) {
  if (value.empty() || value.front() == ' ' || value.back() == ' ') return false;
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

std::string pick(FuzzedDataProvider& in, std::initializer_list<const char*> choices,
                 std::size_t max_length) {
  const std::size_t index = in.ConsumeIntegralInRange<std::size_t>(0, choices.size());
  if (index == choices.size()) return in.ConsumeRandomLengthString(max_length);
  return *(choices.begin() + index);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int port = server().exposer->port();
  FuzzedDataProvider in(data, size);
  if (in.ConsumeIntegralInRange(0, 7) == 0) {
    send_request(port, in.ConsumeRemainingBytesAsString());  // raw bytes: only no crash, no hang
    return 0;
  }
  const std::string method = pick(in, {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}, 12);
  const std::string path = pick(in, {"/metrics", "/", "/metrics/", "/other"}, 40);
  const std::string query = in.ConsumeBool() ? "?" + in.ConsumeRandomLengthString(40) : "";
  const std::string accept =
      pick(in, {"application/openmetrics-text; version=1.0.0", "text/plain", "*/*"}, 80);
  const std::string accept_encoding =
      pick(in, {"gzip", "gzip;q=0", "*;q=0.5, gzip;q=0", "identity", "x-gzip;q=1.0"}, 60);
  const std::string authorization =
      in.ConsumeBool() ? std::string(kGoodAuthorization) : in.ConsumeRandomLengthString(40);
  const std::string extra = in.ConsumeRemainingBytesAsString();

  // The pure parts, called directly: any bytes.
  const metrics::Format format = metrics::negotiate_format(accept);
  const bool gzip = metrics::detail::accepts_gzip(accept_encoding);
  (void)metrics::negotiate_format(extra);
  (void)metrics::detail::accepts_gzip(extra);

  std::string request = method + " " + path + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                        "Accept: " + accept + "\r\nAccept-Encoding: " + accept_encoding +
                        "\r\nAuthorization: " + authorization + "\r\n" +
                        (extra.empty() ? "" : extra + "\r\n") + "\r\n";
  const std::string response = send_request(port, request);

  // Only a request CivetWeb cannot misread is held to the checks below.
  const bool well_formed =
      (method == "GET" || method == "HEAD") && path == "/metrics" && plain_value(query) &&
      query.find_first_of(" #") == std::string::npos && plain_value(accept) &&
      plain_value(accept_encoding) && plain_value(authorization) && extra.empty();
  if (!well_formed) {
    // CivetWeb's own 400 answer copies the request's protocol field into its status line, so a
    // malformed request line may come back with any bytes there: only a 200 is checked.
    const bool ok = response.size() >= 12 && response.rfind("HTTP/1.", 0) == 0 &&
                    response.compare(8, 4, " 200") == 0;
    if (authorization != kGoodAuthorization && ok) {
      fuzz::fail("200 without the right credentials", request);
    }
    return 0;
  }
  if (response.rfind("HTTP/1.1 ", 0) != 0) fuzz::fail("no status line", request + "\n" + response);
  if (response.size() < 12) fuzz::fail("short status line", response);
  const std::size_t head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) fuzz::fail("no end of headers", response);
  const std::string_view head(response.data(), head_end);
  const std::string body = response.substr(head_end + 4);
  const int status = std::stoi(response.substr(9, 3));
  if (authorization != kGoodAuthorization) {
    if (status != 401) fuzz::fail("wrong credentials not refused with 401", request);
    return 0;
  }
  if (status != 200) fuzz::fail("a well-formed scrape did not get 200", request + response);
  if (header_of(head, "Content-Type") != metrics::content_type(format)) {
    fuzz::fail("Content-Type differs from negotiate_format()", request + response);
  }
  const bool gzipped = header_of(head, "Content-Encoding") == "gzip";
  if (gzipped != gzip) fuzz::fail("gzip differs from accepts_gzip()", request);
  if (method == "HEAD") {
    if (!body.empty()) fuzz::fail("HEAD with a body", response);
    return 0;
  }
  if (header_of(head, "Content-Length") != std::to_string(body.size())) {
    fuzz::fail("Content-Length differs from the body (" + std::to_string(body.size()) + " bytes)", request + response.substr(0, head_end));
  }
  const std::string exposition = gzipped ? gunzip(body) : body;
  if (exposition.rfind("# HELP requests", 0) != 0) {
    fuzz::fail("the body is not the exposition", exposition);
  }
  fuzz::read_samples(exposition);
  return 0;
}
