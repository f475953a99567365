#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, then
#   1. release preset: builds everything (benchmarks included, so they cannot rot; they are not
#      run) and runs every test: unit, concurrency, exposition, integration, consumer;
#   2. the README's commands as written (scripts/readme_commands.sh; this command itself is
#      skipped there), and its walkthrough of the guide's scenario (scripts/readme_walkthrough.sh);
#   3. tsan preset: the concurrency and integration tests under ThreadSanitizer;
#   4. asan-ubsan preset: the unit, concurrency, exposition and integration tests under
#      AddressSanitizer + UBSan (the example-driven ones included; the sanitizer presets build
#      the examples without the gRPC variant, which those tests then skip);
#   5. scripts/fuzz.sh: the libFuzzer targets, BENTOML_METRICS_FUZZ_SECONDS each (default 20),
#      and BENTOML_METRICS_DIFFERENTIAL_SCENARIOS (default 500) scenarios against prometheus_client.
# Under a sanitizer every process (those the Python tests start too) writes its reports to
# <build tree>/sanitizer-reports/; a stage with any report there fails, so a report cannot pass
# unseen in a process whose exit status no test reads. The soak test runs 60 s in release and
# BENTOML_METRICS_SANITIZER_SOAK_SECONDS (default 10) under each sanitizer.
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
  local reports="$dir/sanitizer-reports"
  local soak="BENTOML_METRICS_SOAK_SECONDS=${BENTOML_METRICS_SANITIZER_SOAK_SECONDS:-10}"
  rm -rf "$reports"
  mkdir -p "$reports"
  reports=$(cd "$reports" && pwd)  # absolute: tests run in other directories
  case "$preset" in
    tsan) runner=("${tsan_runner[@]}" env "$soak"
                  "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:log_path=$reports/tsan") ;;
    asan-ubsan) runner=(env "$soak" "ASAN_OPTIONS=log_path=$reports/asan"
                        "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan") ;;
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
  local status=0
  "${runner[@]}" ctest --test-dir "$dir" --output-on-failure -j "$jobs" --no-tests=error \
    "${filter[@]}" | tee "$dir/test.sh-ctest.log" || status=$?
  if [ -n "$(ls -A "$reports")" ]; then
    stage="${preset}: sanitizer reports"
    head -n 80 "$reports"/* >&2
    echo "=== ${preset}: $(ls "$reports" | wc -l) sanitizer report(s) in ${reports}" >&2
    return 1
  fi
  if [ "$status" -ne 0 ]; then return "$status"; fi
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

run_preset tsan 'concurrency|integration'
run_preset asan-ubsan 'unit|concurrency|exposition|integration'

stage="fuzzers and the differential check"
echo "=== ${stage} (scripts/fuzz.sh)"
bash scripts/fuzz.sh "${BENTOML_METRICS_FUZZ_SECONDS:-20}" \
  "${BENTOML_METRICS_DIFFERENTIAL_SCENARIOS:-500}" | tee "$root/fuzz.log"
summary+=("$(tail -n 1 "$root/fuzz.log" | sed 's/^=== fuzz: PASSED: /fuzzers: /')")

stage="the summary"
echo "=== test.sh: PASSED in $(( $(date +%s) - started )) s: $(printf '%s, ' "${summary[@]}" | sed 's/, $//')"
