// bentoml::metrics: Prometheus metrics for C++ services, with the API of Python's
// bentoml.metrics. This header only includes the public headers.
#pragma once

#include "bentoml/metrics/buckets.hpp"
#include "bentoml/metrics/counter.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "bentoml/metrics/histogram.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/multiprocess.hpp"
#include "bentoml/metrics/registry.hpp"
#include "bentoml/metrics/summary.hpp"
#include "bentoml/metrics/timer.hpp"
#if __has_include("bentoml/metrics/http_server.hpp")
#include "bentoml/metrics/http_server.hpp"
#endif
