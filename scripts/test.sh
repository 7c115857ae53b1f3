#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: set-up, build, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 -j 1
