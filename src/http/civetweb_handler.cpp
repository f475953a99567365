// One metrics request: method, path and auth checks, content negotiation, gzip, response.
#include "http/civetweb_handler.hpp"

#include <civetweb.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "bentoml/metrics/civetweb_handler.hpp"  // detail::serve_metrics, defined here
#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/http_server.hpp"
#include "gzip.hpp"

namespace bentoml::metrics::detail {
namespace {

/// Adds a Date header (IMF-fixdate, RFC 9110) for now. CivetWeb 1.15 formats its own with
/// gmtime(), whose static buffer races between worker threads (ThreadSanitizer reports it); when
/// the response already has a Date header, CivetWeb writes none.
void add_date_header(mg_connection* connection) {
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
  mg_response_header_add(connection, "Date", date, -1);
}

int send_plain(mg_connection* connection, int status, std::string_view body,
               const char* extra_header = nullptr, const char* extra_value = nullptr) {
  mg_response_header_start(connection, status);
  mg_response_header_add(connection, "Content-Type", "text/plain; charset=utf-8", -1);
  mg_response_header_add(connection, "Content-Length", std::to_string(body.size()).c_str(), -1);
  if (extra_header != nullptr) mg_response_header_add(connection, extra_header, extra_value, -1);
  add_date_header(connection);
  mg_response_header_send(connection);
  const mg_request_info* request = mg_get_request_info(connection);
  if (std::strcmp(request->request_method, "HEAD") != 0) {
    mg_write(connection, body.data(), body.size());
  }
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
  if (!config.path.empty() &&
      (request->local_uri == nullptr || config.path != request->local_uri)) {
    return send_plain(connection, 404, "Not Found\n");
  }
  if (!config.expected_authorization.empty()) {
    const char* given = mg_get_header(connection, "Authorization");
    if (given == nullptr || !same_secret(given, config.expected_authorization)) {
      return send_plain(connection, 401, "Unauthorized\n", "WWW-Authenticate",
                        "Basic realm=\"metrics\", charset=\"UTF-8\"");
    }
  }
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!head && std::strcmp(request->request_method, "GET") != 0) {
    return send_plain(connection, 405, "Method Not Allowed\n", "Allow", "GET, HEAD");
  }
  const char* accept = mg_get_header(connection, "Accept");
  const Format format = negotiate_format(accept != nullptr ? accept : "");
  const char* accept_encoding = mg_get_header(connection, "Accept-Encoding");
  const bool gzip = accept_encoding != nullptr && accepts_gzip(accept_encoding);

  // Per worker thread, reused: after the first scrape a response allocates nothing.
  thread_local std::string body;
  thread_local std::string compressed;
  body.clear();
  write_latest(body, config.registries, format);
  const bool compress = gzip && gzip_compress(body, compressed, config.gzip_level);
  const std::string& payload = compress ? compressed : body;

  mg_response_header_start(connection, 200);
  mg_response_header_add(connection, "Content-Type", std::string(content_type(format)).c_str(), -1);
  mg_response_header_add(connection, "Content-Length", std::to_string(payload.size()).c_str(), -1);
  mg_response_header_add(connection, "Vary", "Accept-Encoding", -1);
  if (compress) mg_response_header_add(connection, "Content-Encoding", "gzip", -1);
  add_date_header(connection);
  mg_response_header_send(connection);
  if (!head) mg_write(connection, payload.data(), payload.size());
  return 200;
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
