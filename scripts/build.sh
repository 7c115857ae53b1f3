#!/usr/bin/env bash
# Configures and builds clipforge (Release, ccache when present) into build/. Two parallel jobs:
# each LibTorch translation unit needs ~1.5 GB of memory and these machines have 2 cores.
# TARGET=clipforge builds the binary alone (no tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" ${TARGET:+--target "$TARGET"}
