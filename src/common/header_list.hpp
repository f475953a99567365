// Internal: parsing the comma-separated HTTP headers with `;` parameters that content
// negotiation reads (`Accept`, `Accept-Encoding`).
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

namespace bentoml::metrics::detail {

/// One entry of a header list: `value;version=...;q=...`.
struct HeaderEntry {
  std::string_view value;    ///< media type or content coding, trimmed
  std::string_view version;  ///< the `version` parameter, empty when absent
  double q = 1;              ///< the `q` parameter, 1 when absent
};

inline std::string_view trim_spaces(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Calls `visit(const HeaderEntry&)` for each entry of `header`.
template <class Visit>
void for_each_header_entry(std::string_view header, Visit&& visit) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view entry = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const std::size_t semicolon = entry.find(';');
    HeaderEntry parsed;
    parsed.value = trim_spaces(entry.substr(0, semicolon));
    std::string_view parameters =
        semicolon == std::string_view::npos ? std::string_view() : entry.substr(semicolon + 1);
    while (!parameters.empty()) {
      const std::size_t next = parameters.find(';');
      const std::string_view parameter = trim_spaces(parameters.substr(0, next));
      parameters =
          next == std::string_view::npos ? std::string_view() : parameters.substr(next + 1);
      const std::size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) continue;
      const std::string_view key = trim_spaces(parameter.substr(0, equals));
      const std::string_view value = trim_spaces(parameter.substr(equals + 1));
      if (equals_ignoring_case(key, "q")) {
        parsed.q = std::strtod(std::string(value).c_str(), nullptr);
      } else if (equals_ignoring_case(key, "version")) {
        parsed.version = value;
      }
    }
    visit(parsed);
  }
}

}  // namespace bentoml::metrics::detail
