// Malformed requests, table-driven: each gets a clean answer of the library's own (one Date
// header, no echo of the request) or a closed connection, within the request timeout, and the
// endpoint keeps serving scrapes.
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
      {"raw NUL", std::string("GET /metrics") + '\0' + "x HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
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
      {"CORS preflight",
       "OPTIONS /metrics HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.example\r\n"
       "Access-Control-Request-Method: GET\r\n\r\n",
       {405}},
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
