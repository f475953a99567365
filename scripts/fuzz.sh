#!/usr/bin/env bash
# The fuzzers (fuzz/) and the differential check, bounded, as scripts/test.sh runs them:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [SCENARIOS]      (defaults 20 and 500)
# Builds the `fuzz` preset (clang, -fsanitize=fuzzer,address,undefined; only the library and
# fuzz/), then runs each libFuzzer target for SECONDS_PER_TARGET, two at a time, from a copy of
# its committed corpus (fuzz/corpus/<target>: seeds and every input that once crashed), so the
# committed corpus is never rewritten. A crash stops with its input in build/fuzz/crashes/; add it
# to fuzz/corpus/<target>/ and a unit test once fixed. Then prometheus_client's parsers read what
# fuzz_exposition wrote for every input of its final corpus (fuzz/check_dump.py), and SCENARIOS
# random scenarios are compared with prometheus_client (fuzz/differential.py; seed from
# BENTOML_METRICS_FUZZ_SEED, default the date, printed). Ends with one summary line.
# Longer runs by hand: scripts/fuzz.sh 3600 5000.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
scenarios=${2:-500}
root=${BENTOML_METRICS_BUILD_ROOT:-build}
jobs=${BENTOML_METRICS_JOBS:-$(nproc)}
dir="$root/fuzz"
targets=(fuzz_names fuzz_exposition fuzz_buckets fuzz_http)

echo "=== fuzz: configure and build (${dir})"
cmake --preset fuzz -B "$dir" >/dev/null
cmake --build "$dir" -j "$jobs" --target "${targets[@]}" differential_scenarios

rm -rf "$dir/work" "$dir/crashes"
mkdir -p "$dir/work" "$dir/crashes"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_target() {
  local target=$1 corpus="$dir/work/$1"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  "$dir/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$dir/crashes/${target}-" \
    >"$dir/work/$target.log" 2>&1
}

# Two at a time: the machine's cores are the budget.
failed=()
summary=()
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for target in "${targets[@]:i:2}"; do
    echo "=== fuzz: ${target} for ${seconds} s"
    run_target "$target" &
    pids+=("$!:$target")
  done
  for entry in "${pids[@]}"; do
    target=${entry#*:}
    if ! wait "${entry%%:*}"; then
      failed+=("$target")
      tail -n 60 "$dir/work/$target.log" >&2
    fi
    runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$dir/work/$target.log" |
      grep -oE '[0-9]+$' || echo "?")
    summary+=("${target} ${runs} runs")
  done
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "=== fuzz: FAILED: ${failed[*]} (inputs in $dir/crashes/)" >&2
  exit 1
fi

echo "=== fuzz: prometheus_client's parsers on fuzz_exposition's corpus"
rm -f "$dir/work/exposition.dump"
find "$dir/work/fuzz_exposition" -type f -print0 |
  xargs -0 -n 500 env BENTOML_FUZZ_DUMP="$dir/work/exposition.dump" \
    "$dir/fuzz/fuzz_exposition" >/dev/null 2>&1
/usr/bin/python3 fuzz/check_dump.py "$dir/work/exposition.dump"

seed=${BENTOML_METRICS_FUZZ_SEED:-$(date -u +%Y%m%d)}
echo "=== fuzz: differential check, ${scenarios} scenarios, seed ${seed}"
/usr/bin/python3 fuzz/differential.py "$dir/fuzz/differential_scenarios" "$scenarios" "$seed"

echo "=== fuzz: PASSED: ${seconds} s each: $(printf '%s, ' "${summary[@]}" | sed 's/, $//'); ${scenarios} differential scenarios"
