// generate_latest / write_latest and content negotiation; see bentoml/metrics/exposition.hpp.
#include "bentoml/metrics/exposition.hpp"

#include <algorithm>
#include <string>

#include "bentoml/metrics/detail/family.hpp"
#include "common/header_list.hpp"
#include "exposition_writer.hpp"
#include "storage/registry_access.hpp"

namespace bentoml::metrics {

std::string_view content_type(Format format) noexcept {
  return format == Format::openmetrics_1_0_0
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

Format negotiate_format(std::string_view accept_header) noexcept {
  // Pick OpenMetrics when an openmetrics-text entry (version 1.0.0, or no version) has a q above
  // zero and at least that of every text/plain entry.
  double openmetrics_q = -1;
  double text_q = -1;
  detail::for_each_header_entry(accept_header, [&](const detail::HeaderEntry& entry) {
    if (detail::equals_ignoring_case(entry.value, "application/openmetrics-text")) {
      if (entry.version.empty() || entry.version == "1.0.0") {
        openmetrics_q = std::max(openmetrics_q, entry.q);
      }
    } else if (detail::equals_ignoring_case(entry.value, "text/plain")) {
      text_q = std::max(text_q, entry.q);
    }
  });
  return openmetrics_q > 0 && openmetrics_q >= text_q ? Format::openmetrics_1_0_0
                                                      : Format::text_0_0_4;
}

namespace {
void write_registries(std::string& out, const Registry* const* registries, std::size_t count,
                      Format format) {
  detail::ExpositionWriter writer(out, format);
  for (std::size_t i = 0; i < count; ++i) {
    detail::RegistryAccess::for_each_family(
        *registries[i], [&writer](const detail::FamilyBase& family) { family.write(writer); });
  }
  writer.finish();
}
}  // namespace

void write_latest(std::string& out, const std::vector<const Registry*>& registries, Format format) {
  write_registries(out, registries.data(), registries.size(), format);
}

void write_latest(std::string& out, const Registry& registry, Format format) {
  // No vector of one: a scrape into a reused buffer allocates nothing besides the text's growth.
  const Registry* const one = &registry;
  write_registries(out, &one, 1, format);
}

std::string generate_latest(const Registry& registry, Format format) {
  std::string out;
  write_latest(out, registry, format);
  return out;
}

std::string generate_latest() { return generate_latest(default_registry()); }

}  // namespace bentoml::metrics
