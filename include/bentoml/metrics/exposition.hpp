// Exposition: turning a registry into Prometheus text 0.0.4 or OpenMetrics 1.0.0.
//
// Thread-safety: every function here may run concurrently with recording, with registration
// and with other scrapes. A scrape never blocks a recording thread; a histogram in it is
// consistent (`_count` equals the `+Inf` bucket and the sum of the buckets).
// Cost: one pass over the registry, numbers formatted with std::to_chars straight into `out`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bentoml/metrics/registry.hpp"

namespace bentoml::metrics {

/// The two exposition formats a scrape may ask for.
enum class Format {
  text_0_0_4,         ///< Prometheus text format, `text/plain; version=0.0.4; charset=utf-8`
  openmetrics_1_0_0,  ///< OpenMetrics, `application/openmetrics-text; version=1.0.0; charset=utf-8`
};

/// The Content-Type header value for `format`.
std::string_view content_type(Format format) noexcept;

/// Picks the format from an HTTP `Accept` header as Prometheus sends it: OpenMetrics 1.0.0 when
/// it is acceptable with a q above that of text (or text is absent), otherwise text 0.0.4.
Format negotiate_format(std::string_view accept_header) noexcept;

/// Appends the exposition of every registry in `registries`, in order, to `out`
/// (OpenMetrics: a single `# EOF` at the very end).
void write_latest(std::string& out, const std::vector<const Registry*>& registries, Format format);

/// Appends the exposition of `registry` to `out`.
void write_latest(std::string& out, const Registry& registry, Format format);

/// The exposition of `registry` (Python's `generate_latest`).
std::string generate_latest(const Registry& registry, Format format = Format::text_0_0_4);

/// The exposition of the default registry in text format 0.0.4.
std::string generate_latest();

/// Switch the `_created` series of counters, histograms and summaries off or on for every later
/// scrape (newer prometheus_client's functions of the same names). Any thread, any time.
/// The initial state comes from PROMETHEUS_DISABLE_CREATED_SERIES, read once when the library
/// is loaded, as prometheus_client reads it once at import: `true`, `1` or `t` (any case)
/// disables. Changing the environment later has no effect (and reading it at every scrape would
/// race with a concurrent setenv()).
void disable_created_metrics() noexcept;
void enable_created_metrics() noexcept;
/// Whether scrapes currently write `_created` series.
[[nodiscard]] bool created_metrics_enabled() noexcept;

}  // namespace bentoml::metrics
