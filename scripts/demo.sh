#!/usr/bin/env bash
# The demo command (README): installs what is missing, builds the example inference service and
# runs it. It serves live metrics on http://127.0.0.1:3001/metrics until Ctrl-C, then prints the
# final exposition. Arguments go to the demo: --port N, --seconds N (stop after N seconds).
# Environment: BENTOML_METRICS_BUILD_ROOT (default build), BENTOML_METRICS_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-deps.sh
source scripts/install-deps.sh
install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"

dir=${BENTOML_METRICS_BUILD_ROOT:-build}/release
cmake --preset release -B "$dir" >/dev/null
cmake --build "$dir" -j "${BENTOML_METRICS_JOBS:-$(nproc)}" --target demo
exec "$dir/examples/demo/demo" "$@"
