#!/usr/bin/env bash
# The demo command: installs what is missing, builds the example inference service and runs it.
# It serves live metrics on http://127.0.0.1:3001/metrics until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target demo
exec ./build/release/examples/demo/demo "$@"
