// The version of bentoml-metrics, for preprocessor checks and for printing.
//
// `BENTOML_METRICS_VERSION` is MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100), so that
// `#if BENTOML_METRICS_VERSION >= 100` works; the CMake package, the pkg-config files and the
// shared libraries take their version from the three numbers below (CMakeLists.txt reads them).
#pragma once

#define BENTOML_METRICS_VERSION_MAJOR 0
#define BENTOML_METRICS_VERSION_MINOR 1
#define BENTOML_METRICS_VERSION_PATCH 0
#define BENTOML_METRICS_VERSION_STRING "0.1.0"

#define BENTOML_METRICS_VERSION                                                  \
  (BENTOML_METRICS_VERSION_MAJOR * 10000 + BENTOML_METRICS_VERSION_MINOR * 100 + \
   BENTOML_METRICS_VERSION_PATCH)
