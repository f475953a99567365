#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, then
#   1. release preset: builds everything (benchmarks included, so they cannot rot; they are not
#      run) and runs every test: unit, concurrency, exposition, integration, consumer;
#   2. the README's commands as written (scripts/readme_commands.sh; this command itself is
#      skipped there), and its walkthrough of the guide's scenario (scripts/readme_walkthrough.sh);
#   3. tsan preset: the concurrency tests under ThreadSanitizer;
#   4. asan-ubsan preset: the unit and concurrency tests under AddressSanitizer + UBSan.
# Exits non-zero on the first failure, naming the stage; the last line is the summary.
# Environment: BENTOML_METRICS_BUILD_ROOT (default build; one tree per preset under it),
# BENTOML_METRICS_JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
stage="installing packages"
summary=()
report_failure() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "=== test.sh: FAILED at ${stage} (exit ${status}) after $(($(date +%s) - started)) s" >&2
  fi
}
trap report_failure EXIT

# shellcheck source=scripts/install-deps.sh
source scripts/install-deps.sh
install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"

root=${BENTOML_METRICS_BUILD_ROOT:-build}
jobs=${BENTOML_METRICS_JOBS:-$(nproc)}

# GCC 12's ThreadSanitizer cannot map its shadow memory when the kernel randomizes mmap with
# more than 28 bits (vm.mmap_rnd_bits=32 on some newer kernels): run it without ASLR there.
tsan_runner=()
if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    tsan_runner=(setarch "$(uname -m)" -R)
  else
    echo "warning: vm.mmap_rnd_bits > 28 and ASLR cannot be disabled; ThreadSanitizer may fail" >&2
  fi
fi

# run_preset PRESET [LABELS]: configure, build and test one preset; LABELS is ctest's -L regex.
run_preset() {
  local preset=$1 labels=${2:-}
  local dir="$root/$preset"
  # The environment of the matching test preset (ctest --preset would ignore --test-dir).
  local runner=(env) filter=()
  case "$preset" in
    tsan) runner=("${tsan_runner[@]}" env TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1) ;;
    asan-ubsan) runner=(env UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1) ;;
  esac
  if [ -n "$labels" ]; then filter=(-L "$labels"); fi
  stage="${preset}: configure"
  echo "=== ${stage} (${dir})"
  cmake --preset "$preset" -B "$dir" >/dev/null
  stage="${preset}: build"
  echo "=== ${stage}"
  cmake --build "$dir" -j "$jobs"
  stage="${preset}: ctest ${labels:-all tests}"
  echo "=== ${stage}"
  "${runner[@]}" ctest --test-dir "$dir" --output-on-failure -j "$jobs" --no-tests=error \
    "${filter[@]}" | tee "$dir/test.sh-ctest.log"
  local count
  count=$(grep -oE 'tests passed, 0 tests failed out of [0-9]+' "$dir/test.sh-ctest.log" |
    grep -oE '[0-9]+$')
  summary+=("${preset} ${count} tests${labels:+ (${labels})}")
}

run_preset release

stage="README commands"
echo "=== ${stage} (scripts/readme_commands.sh)"
BENTOML_METRICS_IN_TEST_SH=1 bash scripts/readme_commands.sh
stage="README walkthrough"
echo "=== ${stage} (scripts/readme_walkthrough.sh)"
bash scripts/readme_walkthrough.sh
summary+=("README commands and walkthrough")

run_preset tsan concurrency
run_preset asan-ubsan 'unit|concurrency'

stage="the summary"
echo "=== test.sh: PASSED in $(( $(date +%s) - started )) s: $(printf '%s, ' "${summary[@]}" | sed 's/, $//')"
