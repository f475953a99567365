// Internal: the Prometheus name rules, shared by metrics, Info labels and collectors.
#pragma once

#include <string_view>

namespace bentoml::metrics::detail {

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*
bool valid_label_name(std::string_view name);
/// Whether `text` is valid UTF-8 as Python's strict decoder has it (no overlong forms, no
/// surrogates, nothing past U+10FFFF). Exposition is UTF-8: Prometheus and prometheus_client's
/// parsers reject a whole scrape that is not.
bool valid_utf8(std::string_view text);

}  // namespace bentoml::metrics::detail
