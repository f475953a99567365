#!/usr/bin/env bash
# Installs the Debian packages bentoml-metrics needs to build, test, benchmark and run its demo.
# Only what is missing is installed; apt-get runs as root directly or through sudo.
set -euo pipefail

BENTOML_METRICS_PACKAGES=(
  g++ clang libclang-rt-14-dev cmake make pkg-config
  libgtest-dev libgmock-dev googletest libbenchmark-dev libdeflate-dev libisal-dev
  prometheus-cpp-dev libcivetweb-dev zlib1g-dev libcurl4-openssl-dev
  prometheus prometheus-pushgateway python3 python3-prometheus-client
  curl wrk openssl valgrind
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc python3-grpcio
)

install_missing_packages() {
  local missing=()
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "Installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  install_missing_packages "${BENTOML_METRICS_PACKAGES[@]}"
fi
