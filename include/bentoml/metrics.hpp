// bentoml::metrics: Prometheus metrics for C++ services, with the API of Python's
// bentoml.metrics. This header only includes the public headers of bentoml::metrics_core: the
// metrics, the registry and the exposition. The /metrics endpoint (start_http_server, Exposer,
// in bentoml::metrics_http) is included separately: <bentoml/metrics/http_server.hpp>.
#pragma once

#include "bentoml/metrics/bentoml_service.hpp"
#include "bentoml/metrics/buckets.hpp"
#include "bentoml/metrics/collector.hpp"
#include "bentoml/metrics/count_exceptions.hpp"
#include "bentoml/metrics/counter.hpp"
#include "bentoml/metrics/enum.hpp"
#include "bentoml/metrics/error.hpp"
#include "bentoml/metrics/exposition.hpp"
#include "bentoml/metrics/gauge.hpp"
#include "bentoml/metrics/histogram.hpp"
#include "bentoml/metrics/info.hpp"
#include "bentoml/metrics/labels.hpp"
#include "bentoml/metrics/process_collector.hpp"
#include "bentoml/metrics/multiprocess.hpp"
#include "bentoml/metrics/registry.hpp"
#include "bentoml/metrics/summary.hpp"
#include "bentoml/metrics/timer.hpp"
#include "bentoml/metrics/version.hpp"
