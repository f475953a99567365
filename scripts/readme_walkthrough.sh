#!/usr/bin/env bash
# Runs the README's walkthrough of the guide's scenario (its ```sh walkthrough blocks) as written,
# in order, as a new user would in two terminals: a line that starts a server (the demo command,
# Prometheus, the gRPC service) runs in the background until the URL it serves answers; every
# other line runs in the foreground and must succeed, retried for up to 60 s while the servers
# warm up (the p95 query has no answer before Prometheus has two scrapes). Checks what the README
# promises of each step, then stops every server it started.
# Needs ports 3000, 3001 and 9090 free on 127.0.0.1 (the README's own ports); if one is taken,
# says so and exits 0 without running (the end-to-end test covers the same steps on free ports).
set -euo pipefail
cd "$(dirname "$0")/.."

for port in 3000 3001 9090; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${port}/"; then
    echo "readme_walkthrough: port ${port} is in use here; skipped (custom_runner_e2e covers it)"
    exit 0
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bentoml-metrics-walkthrough.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT -- -"$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL -- -"$pid" 2>/dev/null || true; done
  rm -rf "$work" /tmp/custom-runner-prometheus /tmp/custom-runner-prometheus-grpc
}
trap cleanup EXIT

# The URL a server line serves once it is up.
served_url() {
  case "$1" in
    *scripts/demo.sh*) echo "http://127.0.0.1:3000/metrics" ;;
    *custom_runner_grpc*) echo "http://127.0.0.1:3001/metrics" ;;
    prometheus\ *) echo "http://127.0.0.1:9090/-/ready" ;;
    *) echo "" ;;
  esac
}

# wait_until SECONDS COMMAND...: retries COMMAND once a second until it succeeds.
wait_until() {
  local seconds=$1
  shift
  for _ in $(seq "$seconds"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  "$@"
}

# stop_server PID PORT: Ctrl-C to a server started above, then waits until PORT is free.
demo_pid=""
prometheus_pid=""
stop_server() {
  [ -n "$1" ] || return 0
  kill -INT -- -"$1" 2>/dev/null || true
  wait_until 30 bash -c "! curl -s -o /dev/null --max-time 1 http://127.0.0.1:$2/"
}

lines=$(awk '$0 == "```sh walkthrough" { inside = 1; next } inside && /^```/ { inside = 0; next }
             inside { print }' README.md)
[ -n "$lines" ] || { echo "readme_walkthrough: README.md has no walkthrough block" >&2; exit 1; }
step=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  step=$((step + 1))
  url=$(served_url "$line")
  if [ -n "$url" ]; then
    if [[ "$line" == *custom_runner_grpc* && ! -x build/release/examples/custom_runner/custom_runner_grpc ]]; then
      echo "readme_walkthrough: $line: not built here (no gRPC); skipped"
      continue
    fi
    # The gRPC tab uses the ports of the HTTP steps, as a user who stopped those would.
    if [[ "$line" == *custom_runner_grpc* ]]; then stop_server "$demo_pid" 3000; fi
    if [[ "$line" == prometheus\ * ]]; then stop_server "$prometheus_pid" 9090; fi
    echo "readme_walkthrough: \$ $line &"
    setsid bash -c "$line" >"$work/server-$step.log" 2>&1 &
    pids+=("$!")
    if ! wait_until 600 curl -sf -o /dev/null --max-time 2 "$url"; then
      echo "readme_walkthrough: '$line' never served $url" >&2
      cat "$work/server-$step.log" >&2
      exit 1
    fi
    if [[ "$line" == prometheus\ * ]]; then prometheus_pid=${pids[-1]}; fi
    if [[ "$line" == *scripts/demo.sh* ]]; then demo_pid=${pids[-1]}; fi
  else
    echo "readme_walkthrough: \$ $line"
    if ! wait_until 60 bash -c "$line >'$work/out-$step.txt' 2>'$work/err-$step.txt' &&
        test -s '$work/out-$step.txt' &&
        ! grep -q '\"result\":\[\]' '$work/out-$step.txt'"; then
      echo "readme_walkthrough: '$line' failed or answered nothing:" >&2
      cat "$work/out-$step.txt" "$work/err-$step.txt" >&2
      exit 1
    fi
    head -c 300 "$work/out-$step.txt"
    echo
    # What the README says each step shows.
    case "$line" in
      *"grep '^# TYPE'"*)
        for name in inference_duration bentoml_service_request_total \
          bentoml_service_request_duration_seconds bentoml_service_adaptive_batch_size \
          bentoml_service_request_in_progress; do
          grep -q "^# TYPE ${name} " "$work/out-$step.txt" ||
            { echo "readme_walkthrough: /metrics lacks ${name}" >&2; exit 1; }
        done ;;
      *"/predict"*)
        grep -qE '^\[[0-9]\]' "$work/out-$step.txt" ||
          { echo "readme_walkthrough: /predict did not answer a class" >&2; exit 1; } ;;
      *histogram_quantile*)
        grep -q '"status":"success"' "$work/out-$step.txt" ||
          { echo "readme_walkthrough: the p95 query failed" >&2; exit 1; } ;;
    esac
  fi
done <<<"$lines"
echo "readme_walkthrough: ${step} walkthrough lines ran as written"
