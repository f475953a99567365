#!/usr/bin/env bash
# Uses bentoml-metrics from an outside project, one of the ways the README offers, builds it with
# the given compiler and the flags of the build under test (programs with -Wall -Wextra -Wpedantic
# -Werror), runs it and checks its exposition text.
#   consumer_test.sh MODE BUILD_DIR SOURCE_DIR CXX CXX_FLAGS LINKER_FLAGS
#   MODE find_package     install BUILD_DIR into a temporary prefix; project/ finds it with
#                         find_package(bentoml-metrics 0.1 CONFIG REQUIRED) and links
#                         bentoml::metrics; the headers' version must be the package's; asking
#                         for version 1.0 or an unknown component must fail; components_project/
#                         finds COMPONENTS push (and prometheus_cpp) where they were built
#   MODE pkg_config       same install; with only `pkg-config --cflags --libs --static`: the
#                         README's quick start block as written in C++20 (asserting C++20 is what
#                         it gets), core_project/main.cpp in C++17, and every examples/*/main.cpp
#   MODE core_only        same install; core_project/ links bentoml::metrics_core found with
#                         COMPONENTS core while CivetWeb and zlib are hidden from CMake, and
#                         through pkg-config bentoml-metrics-core: neither link line names CivetWeb
#                         or zlib, and neither program depends on them
#   MODE add_subdirectory project/ adds SOURCE_DIR with add_subdirectory(); the parent's install
#                         must install nothing of ours
#   MODE fetch_content    the same through FetchContent, from a tarball of SOURCE_DIR
# Every failure names the step and prints the output of the command that failed.
set -euo pipefail

if [ $# -ne 6 ]; then
  echo "usage: $0 MODE BUILD_DIR SOURCE_DIR CXX CXX_FLAGS LINKER_FLAGS" >&2
  exit 2
fi
mode=$1 build_dir=$2 source_dir=$3 cxx=$4 cxx_flags=$5 linker_flags=$6
here=$(cd "$(dirname "$0")" && pwd)
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/bentoml-metrics-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
strict=(-Wall -Wextra -Wpedantic -Werror)

fail() {
  echo "FAIL (consumer.$mode, $cxx): $*" >&2
  exit 1
}

# step DESCRIPTION COMMAND...: runs COMMAND with its output in a log; on failure prints the log.
step() {
  local description=$1
  shift
  if ! "$@" >"$work/step.log" 2>&1; then
    echo "FAIL (consumer.$mode, $cxx): $description" >&2
    echo "command: $*" >&2
    echo "--- its output:" >&2
    cat "$work/step.log" >&2
    exit 1
  fi
}

# run_to_file FILE PROGRAM ARGS...: runs PROGRAM with its standard output in FILE.
run_to_file() {
  local file=$1
  shift
  "$@" >"$file"
}

# expect_line FILE LINE: FILE (a program's output) must contain exactly LINE.
expect_line() {
  if ! grep -qxF -- "$2" "$1"; then
    echo "FAIL (consumer.$mode, $cxx): the output lacks the line: $2" >&2
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

# The version the headers declare (include/bentoml/metrics/version.hpp).
version=$(sed -nE 's/^#define BENTOML_METRICS_VERSION_STRING "(.*)"$/\1/p' \
  "$source_dir/include/bentoml/metrics/version.hpp")
[ -n "$version" ] || fail "include/bentoml/metrics/version.hpp has no BENTOML_METRICS_VERSION_STRING"

install_package() {
  step "cmake --install $build_dir" cmake --install "$build_dir" --prefix "$work/prefix"
  [ -f "$work/prefix/include/bentoml/metrics.hpp" ] ||
    fail "the installed tree lacks include/bentoml/metrics.hpp"
}

use_pkg_config() {
  local pc
  pc=$(find "$work/prefix" -name bentoml-metrics.pc -print -quit)
  [ -n "$pc" ] || fail "the installed tree has no bentoml-metrics.pc"
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc")
  local package
  for package in bentoml-metrics bentoml-metrics-core \
    $(cd "$(dirname "$pc")" && ls bentoml-metrics-push.pc bentoml-metrics-prometheus-cpp.pc \
      2>/dev/null | sed 's/\.pc$//'); do
    step "pkg-config finds $package" pkg-config --print-errors --exists "$package"
    [ "$(pkg-config --modversion "$package")" = "$version" ] ||
      fail "pkg-config --modversion $package is not $version"
    # A -std in the .pc would come after the user's own and override it.
    if pkg-config --cflags --libs --static "$package" | grep -qE -- '(^| )-std='; then
      fail "$package.pc puts a -std flag on the user's command line"
    fi
  done
}

# configure_and_build PROJECT_DIR CMAKE_ARGS...: the project in $work/build.
configure_and_build() {
  local project=$1
  shift
  step "configure $project" cmake -S "$project" -B "$work/build" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$linker_flags" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  step "build $project" cmake --build "$work/build" -j "$jobs" --verbose
  cp "$work/step.log" "$work/build.log"
}

run_consumer() {
  step "run the consumer" run_to_file "$work/output" "$work/build/consumer"
  expect_line "$work/output" 'listening yes'
  expect_metrics "$work/output"
}

# no_civetweb_nor_zlib PROGRAM LINK_LOG: neither the link command nor the program names them.
no_civetweb_nor_zlib() {
  local program=$1 log=$2
  if grep -E -- '(-lcivetweb|civetweb\.(a|so)|-lz( |$)|libz\.(a|so))' "$log" >/dev/null; then
    echo "--- the link:" >&2
    cat "$log" >&2
    fail "the core-only link names CivetWeb or zlib"
  fi
  if ldd "$program" | grep -E 'libcivetweb|libz\.' >/dev/null; then
    ldd "$program" >&2
    fail "$program depends on CivetWeb or zlib"
  fi
  if nm -C "$program" | grep -E ' (mg_start|mg_stop|deflate|deflateInit2_)$' >/dev/null; then
    fail "$program contains CivetWeb or zlib symbols"
  fi
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
    echo 'static_assert(__cplusplus >= 202002L, "pkg-config must leave -std=c++20 in force");'
    echo 'int main() {'
    # Port 0 (any free port), so that a demo already serving 3001 cannot fail the test.
    grep -vE '^(#include|namespace )' "$block" |
      sed -E 's/start_http_server\([0-9]+\)/start_http_server(0)/'
    echo '  std::cout << text;'
    echo '}'
  } >"$work/quick_start.cpp"
}

# compile_with_pkg_config STD PACKAGE SOURCE OUTPUT: as the README's pkg-config command does.
compile_with_pkg_config() {
  local std=$1 package=$2 source=$3 output=$4
  # shellcheck disable=SC2046,SC2086
  step "compile $(basename "$source") as $std with pkg-config $package" \
    "$cxx" "-std=$std" "${strict[@]}" $cxx_flags "$source" -o "$output" $linker_flags \
    $(pkg-config --cflags --libs --static "$package")
}

case "$mode" in
  find_package)
    install_package
    configure_and_build "$here/project" -DCMAKE_PREFIX_PATH="$work/prefix"
    run_consumer
    expect_line "$work/output" "version $version"
    # A version this package cannot satisfy, and a component it lacks, must fail to configure.
    mkdir -p "$work/wrong"
    for request in "1.0" "0.1 COMPONENTS no_such_component"; do
      cat >"$work/wrong/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(wrong LANGUAGES CXX)
find_package(bentoml-metrics $request CONFIG REQUIRED)
EOF
      rm -rf "$work/wrong-build"
      if cmake -S "$work/wrong" -B "$work/wrong-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
        >"$work/wrong.log" 2>&1; then
        fail "find_package(bentoml-metrics $request) succeeded against version $version"
      fi
    done
    # The optional components, where this build has them.
    cmake_dir=$(dirname "$(find "$work/prefix" -name bentoml-metricsConfig.cmake -print -quit)")
    if [ -f "$cmake_dir/bentoml-metrics-pushTargets.cmake" ]; then
      with_interop=OFF
      [ -f "$cmake_dir/bentoml-metrics-prometheus_cppTargets.cmake" ] && with_interop=ON
      rm -rf "$work/build"
      configure_and_build "$here/components_project" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DWITH_PROMETHEUS_CPP=$with_interop
      step "run the components consumer" \
        run_to_file "$work/output" "$work/build/components_consumer"
      expect_line "$work/output" 'http://127.0.0.1:9091/metrics/job/batch/instance/a'
      [ "$with_interop" = OFF ] || expect_line "$work/output" 'interop ok'
    fi
    ;;
  pkg_config)
    install_package
    use_pkg_config
    quick_start_program
    compile_with_pkg_config c++20 bentoml-metrics "$work/quick_start.cpp" "$work/quick_start"
    step "run README.md's quick start" run_to_file "$work/output" "$work/quick_start"
    expect_metrics "$work/output"
    compile_with_pkg_config c++17 bentoml-metrics "$here/core_project/main.cpp" "$work/cxx17"
    step "run the C++17 program" run_to_file "$work/output" "$work/cxx17"
    expect_metrics "$work/output"
    for example in "$source_dir"/examples/*/main.cpp; do
      name=$(basename "$(dirname "$example")")
      compile_with_pkg_config c++20 bentoml-metrics "$example" "$work/example-$name"
    done
    step "run the demo for a moment" \
      run_to_file "$work/output" "$work/example-demo" --port 0 --seconds 0.3
    expect_line "$work/output" '# TYPE inference_duration histogram'
    ;;
  core_only)
    install_package
    configure_and_build "$here/core_project" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_DISABLE_FIND_PACKAGE_civetweb=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON
    step "run the core-only consumer" run_to_file "$work/output" "$work/build/core_consumer"
    expect_metrics "$work/output"
    no_civetweb_nor_zlib "$work/build/core_consumer" "$work/build.log"
    use_pkg_config
    compile_with_pkg_config c++17 bentoml-metrics-core "$here/core_project/main.cpp" "$work/core"
    cp "$work/step.log" "$work/pkg-config-link.log"
    pkg-config --libs --static bentoml-metrics-core >>"$work/pkg-config-link.log"
    step "run the pkg-config core-only program" run_to_file "$work/output" "$work/core"
    expect_metrics "$work/output"
    no_civetweb_nor_zlib "$work/core" "$work/pkg-config-link.log"
    ;;
  add_subdirectory | fetch_content)
    # The whole library builds here: without optimization (no build type), which takes a third
    # less time, as these modes test how the library is added, not how fast it runs.
    if [ "$mode" = add_subdirectory ]; then
      configure_and_build "$here/project" -DBENTOML_METRICS_SOURCE_DIR="$source_dir" \
        -DCMAKE_BUILD_TYPE=
    else
      # The source tree as a release tarball would hold it (no build trees, no git metadata).
      step "pack the source tree" tar -C "$source_dir" --exclude='./build*' --exclude='./.git' \
        -czf "$work/bentoml-metrics.tar.gz" .
      configure_and_build "$here/project" \
        -DBENTOML_METRICS_FETCH_URL="file://$work/bentoml-metrics.tar.gz" -DCMAKE_BUILD_TYPE=
    fi
    run_consumer
    # The parent's install installs its own program and nothing of ours.
    step "install the parent project" cmake --install "$work/build" --prefix "$work/parent"
    installed=$(cd "$work/parent" && find . -type f | sort)
    [ "$installed" = "./bin/consumer" ] ||
      fail "the parent's install installed more than its own program: $installed"
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac
echo "consumer.$mode ($cxx): ok"
