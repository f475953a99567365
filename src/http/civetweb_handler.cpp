// One metrics request: method, path and auth checks, content negotiation, gzip, response.
#include "http/civetweb_handler.hpp"

#include <civetweb.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "bentoml/metrics/civetweb_handler.hpp"  // detail::serve_metrics, defined here
#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/http_server.hpp"
#include "gzip.hpp"

namespace bentoml::metrics::detail {
namespace {

/// The buffers a scrape renders and compresses into, kept between scrapes without a lock. A
/// buffer per worker thread would keep a scrape's size in every worker that ever served one
/// (hundreds of workers, most of them there to outlast hostile connections); these few slots
/// keep memory to what concurrent scrapes need, and a scrape after the first allocates nothing
/// unless more scrapes run at once than there are slots.
struct ScrapeBuffers {
  std::string body;
  GzipEncoder encoder;
};

class BufferPool {
 public:
  std::unique_ptr<ScrapeBuffers> take() {
    for (auto& slot : slots_) {
      if (slot.load(std::memory_order_relaxed) == nullptr) continue;
      if (ScrapeBuffers* buffers = slot.exchange(nullptr, std::memory_order_acquire)) {
        return std::unique_ptr<ScrapeBuffers>(buffers);
      }
    }
    return std::make_unique<ScrapeBuffers>();
  }
  void give(std::unique_ptr<ScrapeBuffers> buffers) {
    for (auto& slot : slots_) {
      ScrapeBuffers* empty = nullptr;
      if (slot.compare_exchange_strong(empty, buffers.get(), std::memory_order_release,
                                       std::memory_order_relaxed)) {
        buffers.release();
        return;
      }
    }
  }  // every slot taken: this one is freed

 private:
  std::array<std::atomic<ScrapeBuffers*>, 4> slots_{};  // the process's lifetime: never freed
};

BufferPool& buffer_pool() {
  static BufferPool* pool = new BufferPool;  // never destroyed: workers may outlive statics
  return *pool;
}

/// Now as an IMF-fixdate (RFC 9110), from gmtime_r.
std::string http_date() {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[48];
  std::snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return date;
}

/// Adds a Date header for now. CivetWeb 1.15 formats its own with gmtime(), whose static buffer
/// races between worker threads (ThreadSanitizer reports it); when the response already has a
/// Date header, CivetWeb writes none.
void add_date_header(mg_connection* connection) {
  mg_response_header_add(connection, "Date", http_date().c_str(), -1);
}

/// Whether the request announces a body: a Transfer-Encoding, or a Content-Length other than 0.
bool announces_body(mg_connection* connection) {
  if (mg_get_header(connection, "Transfer-Encoding") != nullptr) return true;
  const char* length = mg_get_header(connection, "Content-Length");
  if (length == nullptr) return false;
  std::string_view digits(length);
  while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
  return !digits.empty();
}

/// Makes CivetWeb close the connection after this response instead of reading the rest of the
/// request (a body the client may send one byte at a time, each byte restarting CivetWeb's
/// timeout). CivetWeb's default error handler marks the connection to be closed; called after
/// the response has gone out, it can write nothing more (its headers are refused once a
/// response is sent, and 304 has no body). answer_civetweb_error passes 304 through to it.
void close_after_response(mg_connection* connection) {
  mg_send_http_error(connection, 304, "%s", "");
}

bool is_head(mg_connection* connection) {
  const char* method = mg_get_request_info(connection)->request_method;
  return method != nullptr && std::strcmp(method, "HEAD") == 0;
}

int send_plain(mg_connection* connection, int status, std::string_view body,
               const char* extra_header = nullptr, const char* extra_value = nullptr,
               bool close = false) {
  if (mg_response_header_start(connection, status) != 0) {
    // CivetWeb refuses its response API on a connection it took for a WebSocket upgrade: the
    // same response, written as bytes.
    const char* text = mg_get_response_code_text(connection, status);
    std::string response = "HTTP/1.1 " + std::to_string(status) + " " +
                           (text != nullptr ? text : "") +
                           "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n";
    if (extra_header != nullptr)
      response += std::string(extra_header) + ": " + extra_value + "\r\n";
    response += "Date: " + http_date() + "\r\n\r\n";
    if (!is_head(connection)) response += body;
    mg_write(connection, response.data(), response.size());
    close_after_response(connection);
    return status;
  }
  mg_response_header_add(connection, "Content-Type", "text/plain; charset=utf-8", -1);
  mg_response_header_add(connection, "Content-Length", std::to_string(body.size()).c_str(), -1);
  if (extra_header != nullptr) mg_response_header_add(connection, extra_header, extra_value, -1);
  if (close) mg_response_header_add(connection, "Connection", "close", -1);
  add_date_header(connection);
  mg_response_header_send(connection);
  if (!is_head(connection)) mg_write(connection, body.data(), body.size());
  if (close) close_after_response(connection);
  return status;
}

/// Compares without an early exit, so the time taken does not reveal how much matched.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return difference == 0;
}

/// Whether an Authorization header carries the expected "Basic <token>" credentials. The scheme
/// is case-insensitive (RFC 7617, RFC 9110 11.1), one or more spaces separate it from the token,
/// and the token is compared in constant time.
bool authorized(const char* header, std::string_view expected) {
  if (header == nullptr) return false;
  std::string_view given(header);
  constexpr std::string_view kScheme = "basic";
  const std::string_view expected_token = expected.substr(kScheme.size() + 1);
  bool scheme = given.size() > kScheme.size();
  for (std::size_t i = 0; scheme && i < kScheme.size(); ++i) {
    const char c = given[i];
    scheme = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == kScheme[i];
  }
  if (!scheme || given[kScheme.size()] != ' ') {
    (void)same_secret(given, expected_token);  // the same work either way
    return false;
  }
  given.remove_prefix(kScheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  while (!given.empty() && (given.back() == ' ' || given.back() == '\t')) given.remove_suffix(1);
  return same_secret(given, expected_token);
}

/// Whether the request target, as sent, has an encoded NUL: CivetWeb decodes "/metrics%00" to a
/// string that compares equal to "/metrics".
bool has_encoded_nul(const mg_request_info* request) {
  if (request->request_uri == nullptr) return false;
  const std::string_view uri(request->request_uri);
  return uri.find("%00") != std::string_view::npos;
}

}  // namespace

std::string basic_authorization(const std::string& username, const std::string& password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string plain = username + ":" + password;
  std::string encoded = "Basic ";
  std::size_t i = 0;
  for (; i + 2 < plain.size(); i += 3) {
    const unsigned value = (static_cast<unsigned char>(plain[i]) << 16) |
                           (static_cast<unsigned char>(plain[i + 1]) << 8) |
                           static_cast<unsigned char>(plain[i + 2]);
    encoded += kAlphabet[(value >> 18) & 63];
    encoded += kAlphabet[(value >> 12) & 63];
    encoded += kAlphabet[(value >> 6) & 63];
    encoded += kAlphabet[value & 63];
  }
  if (i < plain.size()) {
    const bool two = i + 1 < plain.size();
    const unsigned value = (static_cast<unsigned char>(plain[i]) << 16) |
                           (two ? static_cast<unsigned char>(plain[i + 1]) << 8 : 0);
    encoded += kAlphabet[(value >> 18) & 63];
    encoded += kAlphabet[(value >> 12) & 63];
    encoded += two ? kAlphabet[(value >> 6) & 63] : '=';
    encoded += '=';
  }
  return encoded;
}

int serve_metrics_request(mg_connection* connection, const EndpointConfig& config) {
  const mg_request_info* request = mg_get_request_info(connection);
  // The request's body, if it announces one, is never read: every refusal below then closes the
  // connection, and a GET or HEAD with a body is refused.
  const bool has_body = announces_body(connection);
  if (has_body && mg_get_header(connection, "Transfer-Encoding") != nullptr &&
      mg_get_header(connection, "Content-Length") != nullptr) {
    return send_plain(connection, 400, "Bad Request: Content-Length with Transfer-Encoding\n",
                      nullptr, nullptr, true);
  }
  if (has_encoded_nul(request)) {
    return send_plain(connection, 400, "Bad Request\n", nullptr, nullptr, has_body);
  }
  if (!config.path.empty() &&
      (request->local_uri == nullptr || config.path != request->local_uri)) {
    return send_plain(connection, 404, "Not Found\n", nullptr, nullptr, has_body);
  }
  if (!config.expected_authorization.empty() &&
      !authorized(mg_get_header(connection, "Authorization"), config.expected_authorization)) {
    return send_plain(connection, 401, "Unauthorized\n", "WWW-Authenticate",
                      "Basic realm=\"metrics\", charset=\"UTF-8\"", has_body);
  }
  const bool head = is_head(connection);
  if (!head && std::strcmp(request->request_method, "GET") != 0) {
    return send_plain(connection, 405, "Method Not Allowed\n", "Allow", "GET, HEAD", has_body);
  }
  if (has_body) {
    return send_plain(connection, 400, "Bad Request: a GET or HEAD request has no body\n", nullptr,
                      nullptr, true);
  }
  const char* accept = mg_get_header(connection, "Accept");
  const Format format = negotiate_format(accept != nullptr ? accept : "");
  const char* accept_encoding = mg_get_header(connection, "Accept-Encoding");
  const bool gzip = accept_encoding != nullptr && accepts_gzip(accept_encoding);

  std::unique_ptr<ScrapeBuffers> buffers = buffer_pool().take();
  std::string& body = buffers->body;
  body.clear();
  write_latest(body, config.registries, format);
  const bool compress = gzip && buffers->encoder.compress(body, config.gzip_level);
  const std::string_view payload = compress ? buffers->encoder.output() : std::string_view(body);

  mg_response_header_start(connection, 200);
  mg_response_header_add(connection, "Content-Type", std::string(content_type(format)).c_str(), -1);
  mg_response_header_add(connection, "Content-Length", std::to_string(payload.size()).c_str(), -1);
  mg_response_header_add(connection, "Vary", "Accept-Encoding", -1);
  if (compress) mg_response_header_add(connection, "Content-Encoding", "gzip", -1);
  add_date_header(connection);
  mg_response_header_send(connection);
  if (!head) mg_write(connection, payload.data(), payload.size());
  buffer_pool().give(std::move(buffers));
  return 200;
}

int answer_civetweb_error(mg_connection* connection, int status, const char* message) {
  (void)message;                // CivetWeb's own words, which may quote the request: not echoed
  if (status == 304) return 1;  // close_after_response: CivetWeb marks the connection closed
  // CivetWeb's status line repeats the request's version: "HTTP/HTTX/1.1 400" for a bad one.
  auto* request = const_cast<mg_request_info*>(mg_get_request_info(connection));
  if (request->http_version == nullptr || (std::strcmp(request->http_version, "1.0") != 0 &&
                                           std::strcmp(request->http_version, "1.1") != 0)) {
    request->http_version = "1.1";
  }
  const char* text = mg_get_response_code_text(connection, status);
  std::string body = std::to_string(status) + " " + (text != nullptr ? text : "Error") + "\n";
  if (status < 200 || status == 204) body.clear();
  send_plain(connection, status, body, nullptr, nullptr, true);
  return 0;
}

}  // namespace bentoml::metrics::detail

namespace bentoml::metrics::detail {

int serve_metrics(mg_connection* connection, const std::vector<const Registry*>& registries,
                  const BasicAuth& basic_auth, int gzip_level) {
  EndpointConfig config;  // path matching is the CivetServer's (addHandler)
  config.registries = registries;
  if (config.registries.empty()) config.registries.push_back(&default_registry());
  if (basic_auth.enabled()) {
    config.expected_authorization = basic_authorization(basic_auth.username, basic_auth.password);
  }
  config.gzip_level = gzip_level;
  return serve_metrics_request(connection, config);
}

}  // namespace bentoml::metrics::detail
