#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: set-up, build, every test.
#
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   the same suite built with AddressSanitizer and
#                                UndefinedBehaviorSanitizer in build-asan/ (LibTorch itself is not
#                                instrumented; scripts/sanitizers/lsan.supp says what is suppressed, and why)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${1:-}" = "--sanitize" ]; then
  export BUILD_DIR=build-asan
  # -O1: sanitizer reports stay precise and the instrumented build compiles faster.
  scripts/build.sh -DCLIPFORGE_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELEASE=-O1
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
  export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
  # No UBSan suppressions: the build stops at the first report (-fno-sanitize-recover).
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  cd build-asan
else
  [ $# -eq 0 ] || { echo "usage: scripts/test.sh [--sanitize]" >&2; exit 2; }
  scripts/build.sh
  cd build
fi
ctest --output-on-failure --timeout 900 -j 1
