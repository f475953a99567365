// generate_latest / write_latest and content negotiation; see bentoml/metrics/exposition.hpp.
#include "bentoml/metrics/exposition.hpp"

#include <cstdlib>
#include <string>

#include "bentoml/metrics/detail/family.hpp"
#include "exposition_writer.hpp"

namespace bentoml::metrics {

std::string_view content_type(Format format) noexcept {
  return format == Format::openmetrics_1_0_0
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Format negotiate_format(std::string_view accept_header) noexcept {
  // Accept: type;param=...;q=..., ... Pick OpenMetrics when an openmetrics-text entry (version
  // 1.0.0, or no version) has a q above zero and at least that of every text/plain entry.
  double openmetrics_q = -1;
  double text_q = -1;
  while (!accept_header.empty()) {
    const std::size_t comma = accept_header.find(',');
    std::string_view entry = accept_header.substr(0, comma);
    accept_header =
        comma == std::string_view::npos ? std::string_view() : accept_header.substr(comma + 1);
    const std::size_t semicolon = entry.find(';');
    const std::string_view media = trim(entry.substr(0, semicolon));
    double q = 1;
    std::string_view version;
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view() : entry.substr(semicolon + 1);
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      const std::size_t equals = param.find('=');
      if (equals == std::string_view::npos) continue;
      const std::string_view key = trim(param.substr(0, equals));
      const std::string_view value = trim(param.substr(equals + 1));
      if (equals_ignoring_case(key, "q")) {
        q = std::strtod(std::string(value).c_str(), nullptr);
      } else if (equals_ignoring_case(key, "version")) {
        version = value;
      }
    }
    if (equals_ignoring_case(media, "application/openmetrics-text")) {
      if (version.empty() || version == "1.0.0") openmetrics_q = std::max(openmetrics_q, q);
    } else if (equals_ignoring_case(media, "text/plain")) {
      text_q = std::max(text_q, q);
    }
  }
  return openmetrics_q > 0 && openmetrics_q >= text_q ? Format::openmetrics_1_0_0
                                                      : Format::text_0_0_4;
}

void write_latest(std::string& out, const std::vector<const Registry*>& registries, Format format) {
  detail::ExpositionWriter writer(out, format);
  for (const Registry* registry : registries) {
    registry->for_each_family(
        [&writer](const detail::FamilyBase& family) { family.write(writer); });
  }
  writer.finish();
}

void write_latest(std::string& out, const Registry& registry, Format format) {
  write_latest(out, std::vector<const Registry*>{&registry}, format);
}

std::string generate_latest(const Registry& registry, Format format) {
  std::string out;
  write_latest(out, registry, format);
  return out;
}

std::string generate_latest() { return generate_latest(default_registry()); }

}  // namespace bentoml::metrics
