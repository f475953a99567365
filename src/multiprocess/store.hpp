// Internal: the process-wide state of multiprocess mode (store.cpp): whether it is on, which
// directory, the files this process writes, warnings. Not part of the API.
#pragma once

#include <string>

#include "bentoml/metrics/detail/family.hpp"
#include "bentoml/metrics/gauge.hpp"

namespace bentoml::metrics::detail {

/// Where the children of a new family of `type` (a gauge's with `mode`) keep their values: this
/// process's file of that kind in the current directory, or null when multiprocess mode is off.
/// Throws metrics::Error naming the metric when multiprocess mode cannot hold it (help text
/// that is not UTF-8, a gauge mode this library does not write).
ExternalValues* multiprocess_values_for(MetricType type, MultiprocessMode mode,
                                        const FamilyIdentity& identity);

/// Python's name of a gauge mode (`livesum`); a gauge's files are `gauge_<name>_<pid>.db`.
const char* multiprocess_mode_name(MultiprocessMode mode) noexcept;

/// `given`, else the directory new metrics record into, else PROMETHEUS_MULTIPROC_DIR (or
/// prometheus_multiproc_dir) as read when the library was loaded; may be empty.
std::string resolve_multiprocess_directory(const std::string& given);

/// Hands `message` to the warning handler (default: a line on stderr). Never throws.
void multiprocess_warning(const std::string& message) noexcept;

}  // namespace bentoml::metrics::detail
