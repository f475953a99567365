// Internal: the Prometheus name rules, shared by metrics, Info labels, exemplars and collectors,
// and the words error messages use for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bentoml/metrics/detail/family.hpp"

namespace bentoml::metrics::detail {

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*
bool valid_label_name(std::string_view name);

/// The type's name in error messages: "counter", ..., "enum" (stateset), "collector" (custom).
const char* metric_type_name(MetricType type);

/// `text` in single quotes, as error messages cite names and values.
std::string quoted(std::string_view text);

/// Decodes the UTF-8 sequence at `text[i]` (i < text.size()) into `point` and returns its
/// length; 0 if invalid (overlong forms, surrogates and values past U+10FFFF are invalid, as
/// Python's strict decoder has them).
std::size_t decode_utf8(std::string_view text, std::size_t i, std::uint32_t& point);
/// The number of code points in `text`, or -1 if it is not valid UTF-8 (overlong forms,
/// surrogates and values past U+10FFFF are invalid, as Python's strict decoder has them).
long utf8_code_points(std::string_view text);
/// Whether `text` is valid UTF-8 as Python's strict decoder has it. Exposition is UTF-8:
/// Prometheus and prometheus_client's parsers reject a whole scrape that is not.
bool valid_utf8(std::string_view text);

}  // namespace bentoml::metrics::detail
