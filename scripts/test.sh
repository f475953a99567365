#!/usr/bin/env bash
# The test command: installs what is missing, builds everything (benchmarks included, so they
# cannot rot), runs every test, then the concurrency tests under ThreadSanitizer and the unit and
# concurrency tests under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"

jobs=$(nproc)
started=$(date +%s)

run_preset() {
  local preset=$1
  shift
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  echo "=== ${preset}: test $*"
  ctest --preset "${preset}" -j "${jobs}" "$@"
}

run_preset release
run_preset tsan -L concurrency
run_preset asan-ubsan -L 'unit|concurrency'

echo "=== all tests passed in $(( $(date +%s) - started )) s"
