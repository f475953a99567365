// Internal: the family behind Gauge. Not part of the API.
#pragma once

#include "bentoml/metrics/detail/gauge_cell.hpp"
#include "bentoml/metrics/detail/value_family.hpp"

namespace bentoml::metrics::detail {

using GaugeFamily = ValueFamily<GaugeCell>;
template <>
void GaugeFamily::write(ExpositionWriter& writer) const;
extern template class ValueFamily<GaugeCell>;

}  // namespace bentoml::metrics::detail
