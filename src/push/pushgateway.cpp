// Pushgateway client over libcurl; see bentoml/metrics/push/pushgateway.hpp.
#include "bentoml/metrics/push/pushgateway.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/exposition.hpp"

namespace bentoml::metrics {
namespace {

/// Unreserved characters kept, the rest %XX. prometheus_client uses quote_plus, whose `+` for a
/// space the gateway keeps as a `+` (it decodes paths, not forms): %20 arrives as a space.
std::string percent_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// base64.urlsafe_b64encode, with padding.
std::string urlsafe_base64(std::string_view value) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < value.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(value[i]) << 16) |
                       (static_cast<unsigned char>(value[i + 1]) << 8) |
                       static_cast<unsigned char>(value[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == value.size()) {
    const unsigned n = static_cast<unsigned char>(value[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == value.size()) {
    const unsigned n = (static_cast<unsigned char>(value[i]) << 16) |
                       (static_cast<unsigned char>(value[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

/// `/<name>/<value>` escaped as prometheus_client's _escape_grouping_key.
std::string path_pair(std::string_view name, std::string_view value) {
  std::string out = "/";
  out += name;
  if (value.empty()) return out + "@base64/=";
  if (value.find('/') != std::string_view::npos) return out + "@base64/" + urlsafe_base64(value);
  return out + "/" + percent_encode(value);
}

void initialize_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t keep_body(char* data, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

void request(const char* method, std::string_view gateway, std::string_view job,
             const Registry* registry, const PushOptions& options) {
  const std::string url = pushgateway_url(gateway, job, options.grouping_key);
  initialize_curl();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error("pushgateway " + url + ": could not start a request (libcurl)");
  std::string body = registry != nullptr ? generate_latest(*registry) : std::string();
  const std::string header = "Content-Type: " + std::string(content_type(Format::text_0_0_4));
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(
      curl_slist_append(nullptr, header.c_str()), curl_slist_free_all);
  // No `Expect: 100-continue` for larger bodies: one round trip, whatever the server.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  std::string answer;
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  if (registry != nullptr) {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: thread-safe
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &keep_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &answer);
  if (!options.username.empty()) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(handle, CURLOPT_USERNAME, options.username.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, options.password.c_str());
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  const CURLcode result = curl_easy_perform(handle);
  if (result != CURLE_OK) {
    throw Error("pushgateway " + std::string(method) + " " + url +
                " failed: " + (error[0] != '\0' ? std::string(error) : curl_easy_strerror(result)));
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    if (answer.size() > 500) answer.resize(500);
    throw Error("pushgateway " + std::string(method) + " " + url + ": error talking to " +
                "pushgateway: HTTP " + std::to_string(status) + " " + answer);
  }
}

}  // namespace

std::string pushgateway_url(std::string_view gateway, std::string_view job,
                            const std::vector<std::pair<std::string, std::string>>& grouping_key) {
  std::string base(gateway);
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) base = "http://" + base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + "/metrics" + path_pair("job", job);
  auto sorted = grouping_key;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, value] : sorted) url += path_pair(name, value);
  return url;
}

void push_to_gateway(std::string_view gateway, std::string_view job, const Registry& registry,
                     const PushOptions& options) {
  request("PUT", gateway, job, &registry, options);
}

void pushadd_to_gateway(std::string_view gateway, std::string_view job, const Registry& registry,
                        const PushOptions& options) {
  request("POST", gateway, job, &registry, options);
}

void delete_from_gateway(std::string_view gateway, std::string_view job,
                         const PushOptions& options) {
  request("DELETE", gateway, job, nullptr, options);
}

}  // namespace bentoml::metrics
