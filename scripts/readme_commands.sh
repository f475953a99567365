#!/usr/bin/env bash
# Runs the commands of README.md as written, so that none can rot:
#   - every ```sh block, in order, each as one bash script (set -euo pipefail) from the repository
#     root, with HOME pointing at a fresh temporary directory (so `--prefix ~/.local` installs
#     there and nothing outside the repository's build/ is touched);
#   - a line whose comment says "until Ctrl-C" serves at the http:// URL its comment names: it
#     runs until that URL answers, then gets Ctrl-C (SIGINT) and must exit 0 with the final
#     exposition. If something else already serves that URL, the line runs in its bounded form
#     instead (`--port 0 --seconds 2`);
#   - `bash scripts/test.sh` is skipped when scripts/test.sh itself runs this script (.ci/run runs
#     exactly that command);
#   - every line of every ```cmake block must appear in tests/consumer/*/CMakeLists.txt, which the
#     consumer tests build (`my_service` there is `consumer` or `core_consumer`; a `<placeholder>`
#     matches anything).
# Each block's output goes to a log, printed when the block fails.
# Exits non-zero naming the first command that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
readme=README.md
sandbox=$(mktemp -d "${TMPDIR:-/tmp}/bentoml-metrics-readme.XXXXXX")
trap 'rm -rf "$sandbox"' EXIT

# blocks LANGUAGE: prints the ```LANGUAGE blocks of the README, each followed by a line "\x1e".
blocks() {
  awk -v language="$1" '
    $0 == "```" language { inside = 1; next }
    inside && /^```/ { inside = 0; print "\036"; next }
    inside { print }' "$readme"
}

# The helper the generated scripts call for a line that serves until Ctrl-C.
cat >"$sandbox/serve.sh" <<'EOF'
# interrupt_when_serving URL COMMAND: runs COMMAND until URL answers, then sends it SIGINT.
interrupt_when_serving() {
  local url=$1 command=$2 log="$HOME/serve.log"
  if curl -sf -o /dev/null --max-time 2 "$url"; then
    echo "readme_commands: $url is already served by something else; running the bounded form"
    bash -c "$command --port 0 --seconds 2" >"$log" 2>&1 || { cat "$log"; return 1; }
  else
    setsid bash -c "$command" >"$log" 2>&1 &
    local pid=$!
    local waited=0
    until curl -sf -o /dev/null --max-time 2 "$url"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "readme_commands: '$command' exited before serving $url" >&2
        cat "$log" >&2
        return 1
      fi
      if [ $((waited += 1)) -gt 1200 ]; then
        echo "readme_commands: '$command' did not serve $url within 10 minutes" >&2
        kill -KILL -- -"$pid" 2>/dev/null || true
        return 1
      fi
      sleep 0.5
    done
    kill -INT -- -"$pid"
    local status=0
    wait "$pid" || status=$?
    if [ "$status" -ne 0 ]; then
      echo "readme_commands: '$command' exited with $status after Ctrl-C" >&2
      cat "$log" >&2
      return 1
    fi
  fi
  if ! grep -q '^# TYPE ' "$log"; then
    echo "readme_commands: '$command' printed no exposition at the end" >&2
    cat "$log" >&2
    return 1
  fi
  echo "readme_commands: '$command' served $url and stopped cleanly on Ctrl-C"
}
EOF

count=0
script="$sandbox/block.sh"
: >"$script.lines"
while IFS= read -r line; do
  if [ "$line" != $'\036' ]; then
    printf '%s\n' "$line" >>"$script.lines"
    continue
  fi
  count=$((count + 1))
  {
    echo 'set -euo pipefail'
    echo "source '$sandbox/serve.sh'"
    while IFS= read -r command; do
      if [[ "$command" == *"until Ctrl-C"* ]]; then
        url=$(grep -oE 'http://[^ ]+' <<<"$command" | head -n 1)
        [ -n "$url" ] || { echo "readme_commands: no URL in: $command" >&2; exit 1; }
        serve=${command%%#*}
        serve=${serve%"${serve##*[![:space:]]}"}  # without trailing blanks
        printf 'interrupt_when_serving %q %q\n' "$url" "$serve"
      elif [[ "$command" == *"scripts/test.sh"* && -n "${BENTOML_METRICS_IN_TEST_SH:-}" ]]; then
        printf 'echo %q\n' "readme_commands: skipped (scripts/test.sh is running this): $command"
      else
        printf 'echo %q\n' "readme_commands: \$ $command"
        printf '%s\n' "$command"
      fi
    done <"$script.lines"
  } >"$script"
  echo "=== README.md, sh block ${count}"
  if ! HOME="$sandbox" bash "$script" >"$sandbox/block.log" 2>&1; then
    cat "$sandbox/block.log" >&2
    echo "readme_commands: FAILED in README.md's sh block ${count}:" >&2
    cat "$script.lines" >&2
    exit 1
  fi
  grep '^readme_commands: ' "$sandbox/block.log" || true
  : >"$script.lines"
done < <(blocks sh)
[ "$count" -gt 0 ] || { echo "readme_commands: README.md has no \`\`\`sh block" >&2; exit 1; }

# The ```cmake blocks: mirrored line for line by the consumer projects.
mirror=$(cat tests/consumer/*/CMakeLists.txt)
cmake_lines=0
while IFS= read -r line; do
  [ "$line" = $'\036' ] && continue
  line=${line%%#*}
  line=$(sed -E 's/[[:space:]]+$//; s/^[[:space:]]+//' <<<"$line")
  [ -n "$line" ] || continue
  cmake_lines=$((cmake_lines + 1))
  # shellcheck disable=SC2016  # sed expressions, not shell ones
  pattern=$(sed -E 's/[][\.*^$(){}+?|]/\\&/g; s/my_service/[a-z_]*consumer/g' <<<"$line" |
    sed -E 's/<[^>]*>/.*/g')
  if ! grep -qE "^[[:space:]]*${pattern}([[:space:]]|#|$)" <<<"$mirror"; then
    echo "readme_commands: README.md's cmake line is in no tests/consumer/*/CMakeLists.txt: $line" >&2
    exit 1
  fi
done < <(blocks cmake)
echo "=== readme_commands: ${count} sh blocks ran, ${cmake_lines} cmake lines mirrored by the consumer tests"
