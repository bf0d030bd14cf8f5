#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and integration).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
cd "${BLENDROUTE_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600
