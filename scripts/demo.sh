#!/usr/bin/env bash
# The demo command (README): installs what is missing, builds the guide's MNIST service
# (examples/custom_runner) and runs it with its load generator: POST /predict and GET /metrics on
# http://127.0.0.1:3000 until Ctrl-C. Arguments go to custom_runner and replace the default
# `--load 20`: --port N, --load N (requests/s), --seconds N (stop after N seconds).
# Environment: BENTOML_METRICS_BUILD_ROOT (default build), BENTOML_METRICS_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-deps.sh
source scripts/install-deps.sh
install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"

dir=${BENTOML_METRICS_BUILD_ROOT:-build}/release
cmake --preset release -B "$dir" >/dev/null
cmake --build "$dir" -j "${BENTOML_METRICS_JOBS:-$(nproc)}" --target custom_runner
if [ $# -eq 0 ]; then set -- --load 20; fi
exec "$dir/examples/custom_runner/custom_runner" "$@"
