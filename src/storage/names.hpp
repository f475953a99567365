// Internal: the Prometheus name rules, shared by metrics, Info labels and collectors.
#pragma once

#include <string_view>

namespace bentoml::metrics::detail {

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
/// [a-zA-Z_][a-zA-Z0-9_]*
bool valid_label_name(std::string_view name);

}  // namespace bentoml::metrics::detail
