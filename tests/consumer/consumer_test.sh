#!/usr/bin/env bash
# Uses bentoml-metrics from an outside project, one of the three ways the README offers, builds it
# with the compiler and flags of the build under test, runs it and checks its exposition text.
#   consumer_test.sh MODE BUILD_DIR SOURCE_DIR CXX CXX_FLAGS LINKER_FLAGS
#   MODE find_package     install BUILD_DIR into a temporary prefix; project/ finds it with
#                         find_package(bentoml-metrics CONFIG) and links bentoml::metrics
#   MODE pkg_config       same install; the README's quick start block, compiled as written
#                         (its port made 0) with only `pkg-config --cflags --libs --static`
#   MODE add_subdirectory project/ adds SOURCE_DIR with add_subdirectory()
# Every failure names the step and prints the output of the command that failed.
set -euo pipefail

if [ $# -ne 6 ]; then
  echo "usage: $0 find_package|pkg_config|add_subdirectory BUILD_DIR SOURCE_DIR CXX CXX_FLAGS LINKER_FLAGS" >&2
  exit 2
fi
mode=$1 build_dir=$2 source_dir=$3 cxx=$4 cxx_flags=$5 linker_flags=$6
here=$(cd "$(dirname "$0")" && pwd)
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/bentoml-metrics-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL (consumer.$mode): $*" >&2
  exit 1
}

# step DESCRIPTION COMMAND...: runs COMMAND with its output in a log; on failure prints the log.
step() {
  local description=$1
  shift
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "FAIL (consumer.$mode): $description" >&2
    echo "command: $*" >&2
    echo "--- its output:" >&2
    cat "$work/step.log" >&2
    exit 1
  fi
}

# run_to_file PROGRAM FILE: runs PROGRAM with its standard output in FILE.
run_to_file() {
  "$1" >"$2"
}

# expect_line FILE LINE: FILE (a program's output) must contain exactly LINE.
expect_line() {
  if ! grep -qxF -- "$2" "$1"; then
    echo "FAIL (consumer.$mode): the output lacks the line: $2" >&2
    echo "--- the output:" >&2
    cat "$1" >&2
    exit 1
  fi
}

# The lines every consumer's records must produce (text format 0.0.4 as prometheus_client writes
# it: labels sorted by name).
expect_metrics() {
  expect_line "$1" 'requests_total{code="200"} 3.5'
  expect_line "$1" 'inference_duration_count{device_id="cuda:0",torch_version="2.1.0"} 3.0'
  expect_line "$1" 'inference_duration_bucket{device_id="cuda:0",le="10.0",torch_version="2.1.0"} 3.0'
  expect_line "$1" 'payload_bytes_sum 512.0'
  expect_line "$1" '# TYPE in_progress gauge'
}

install_package() {
  step "cmake --install $build_dir" cmake --install "$build_dir" --prefix "$work/prefix"
  [ -f "$work/prefix/include/bentoml/metrics.hpp" ] ||
    fail "the installed tree lacks include/bentoml/metrics.hpp"
}

configure_project() {
  step "configure the consumer project" cmake -S "$here/project" -B "$work/build" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  step "build the consumer project" cmake --build "$work/build" -j "$jobs"
  step "run the consumer" run_to_file "$work/build/consumer" "$work/output"
  expect_line "$work/output" 'listening yes'
  expect_metrics "$work/output"
}

# Writes the README's first ```cpp block after "## Quick start" as a program: #include and
# namespace lines at file scope, the rest in main(), which then prints `text`.
quick_start_program() {
  local block="$work/quick_start.block"
  awk '/^## Quick start/ { section = 1; next }
       section && /^```cpp/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' "$source_dir/README.md" >"$block"
  [ -s "$block" ] || fail "README.md has no \`\`\`cpp block under \"## Quick start\""
  grep -q 'std::string text = ' "$block" ||
    fail "README.md's quick start no longer defines \`std::string text\` (this test prints it)"
  {
    echo "// Generated from README.md's quick start by tests/consumer/consumer_test.sh."
    grep -E '^(#include|namespace )' "$block"
    echo '#include <iostream>'
    echo 'int main() {'
    # Port 0 (any free port), so that a demo already serving 3001 cannot fail the test.
    grep -vE '^(#include|namespace )' "$block" |
      sed -E 's/start_http_server\([0-9]+\)/start_http_server(0)/'
    echo '  std::cout << text;'
    echo '}'
  } >"$work/quick_start.cpp"
}

case "$mode" in
  find_package)
    install_package
    configure_project -DCMAKE_PREFIX_PATH="$work/prefix"
    ;;
  pkg_config)
    install_package
    pc=$(find "$work/prefix" -name bentoml-metrics.pc -print -quit)
    [ -n "$pc" ] || fail "the installed tree has no bentoml-metrics.pc"
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(dirname "$pc")
    step "pkg-config finds bentoml-metrics" pkg-config --print-errors --exists bentoml-metrics
    quick_start_program
    # Warnings are errors: the public headers must compile cleanly in a user's -Wall build.
    # shellcheck disable=SC2046,SC2086
    step "compile README.md's quick start with pkg-config's flags" \
      "$cxx" -std=c++20 -Wall -Wextra -Wpedantic -Werror $cxx_flags "$work/quick_start.cpp" \
      -o "$work/quick_start" $linker_flags \
      $(pkg-config --cflags bentoml-metrics) $(pkg-config --libs --static bentoml-metrics)
    step "run README.md's quick start" run_to_file "$work/quick_start" "$work/output"
    expect_metrics "$work/output"
    ;;
  add_subdirectory)
    configure_project -DBENTOML_METRICS_SOURCE_DIR="$source_dir"
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac
echo "consumer.$mode: ok"
