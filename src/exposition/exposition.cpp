// generate_latest / write_latest and content negotiation; see bentoml/metrics/exposition.hpp.
#include "bentoml/metrics/exposition.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
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

namespace {

/// The length of the last generate_latest() of a registry, by the registry's address: a fresh
/// string reserved at that size is allocated once and its pages touched once, where growing it
/// by doubling copies every byte again and faults in each new block (a 100,000-series scrape
/// took 5x as long as into a reused buffer). A hint only: two registries that share an entry,
/// or a registry at the address of a destroyed one, cost one reallocation at most.
struct SizeHint {
  std::atomic<const Registry*> registry{nullptr};
  std::atomic<std::size_t> size{0};
};
SizeHint size_hints[16];

SizeHint& size_hint(const Registry& registry) noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(&registry);
  return size_hints[(address / alignof(Registry)) % std::size(size_hints)];
}

}  // namespace

std::string generate_latest(const Registry& registry, Format format) {
  SizeHint& hint = size_hint(registry);
  std::string out;
  if (hint.registry.load(std::memory_order_relaxed) == &registry) {
    const std::size_t last = hint.size.load(std::memory_order_relaxed);
    out.reserve(last + last / 32 + 256);  // room for a few more series: no page is touched twice
  }
  write_latest(out, registry, format);
  hint.size.store(out.size(), std::memory_order_relaxed);
  hint.registry.store(&registry, std::memory_order_relaxed);
  return out;
}

std::string generate_latest() { return generate_latest(default_registry()); }

}  // namespace bentoml::metrics
