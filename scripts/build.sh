#!/usr/bin/env bash
# Configures and builds blendroute (Release) into build/, tests and benchmarks included.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BLENDROUTE_BUILD_DIR:-build}
jobs=${BLENDROUTE_JOBS:-$(nproc)}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DBLENDROUTE_BUILD_TESTS=ON -DBLENDROUTE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build_dir" -j "$jobs"
