#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds the outside project in project/
# against it twice: with find_package(bentoml-metrics CONFIG) and with pkg-config.
#   consumer_test.sh BUILD_DIR
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

cmake -S "$here/project" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
output=$("$work/cmake-build/consumer")
grep -qx 'listening yes' <<<"$output" || { echo "cmake consumer: server did not start"; exit 1; }
grep -qx 'requests_total{code="200"} 3.5' <<<"$output" || { echo "cmake consumer: $output"; exit 1; }
echo "find_package consumer: ok"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046
c++ -std=c++20 "$here/project/main.cpp" -o "$work/pkg-consumer" \
  $(pkg-config --cflags bentoml-metrics) $(pkg-config --libs --static bentoml-metrics)
output=$("$work/pkg-consumer")
grep -qx 'requests_total{code="200"} 3.5' <<<"$output" || { echo "pkg-config consumer: $output"; exit 1; }
echo "pkg-config consumer: ok"
