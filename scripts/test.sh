#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: set-up, build, every test.
#
#   scripts/test.sh              Release build against Debian's LibTorch 1.13 in build/
#   scripts/test.sh --torch2     Release build against LibTorch 2.11 (CUDA, NCCL; PyPI's wheel in
#                                .venv/) in build-torch2/: the same suite, on the CPU
#   scripts/test.sh --sanitize   the 1.13 suite built with AddressSanitizer and
#                                UndefinedBehaviorSanitizer in build-asan/ (LibTorch itself is not
#                                instrumented; scripts/sanitizers/lsan.supp says what is suppressed, and why)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  --sanitize)
    scripts/setup.sh
    export BUILD_DIR=build-asan
    # -O1: sanitizer reports stay precise and the instrumented build compiles faster.
    scripts/build.sh -DCLIPFORGE_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELEASE=-O1
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
    # No UBSan suppressions: the build stops at the first report (-fno-sanitize-recover).
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    cd build-asan
    ;;
  --torch2)
    scripts/setup.sh --torch2
    TORCH2=1 scripts/build.sh
    cd build-torch2
    ;;
  "")
    scripts/setup.sh
    scripts/build.sh
    cd build
    ;;
  *)
    echo "usage: scripts/test.sh [--sanitize | --torch2]" >&2
    exit 2
    ;;
esac
# CTest takes the names from Catch2 and splits one at ';' (a CMake list separator), and Catch2 reads
# a name that starts with '-' as an option: such a test would run nothing and pass.
unrunnable=$(tests/clipforge_tests --list-test-names-only | grep -E ';|^-' || true)
if [ -n "$unrunnable" ]; then
  echo "test names CTest cannot run (no ';', no leading '-'):"
  echo "$unrunnable"
  exit 1
fi
status=0
ctest --output-on-failure --timeout 900 -j 1 || status=$?
# CTest names skipped tests but not why: the reasons are in each test's output (Catch2's
# "SKIPPED: reason", pytest's "SKIPPED [n] file:line: reason" inside the interop test).
skipped=$(awk '/^[0-9]+\/[0-9]+ Test: /{name=$0; sub(/^[0-9]+\/[0-9]+ Test: /, "", name)}
                /^SKIPPED(: | \[)/{print "  " name ": " $0}' Testing/Temporary/LastTest.log)
if [ -n "$skipped" ]; then
  echo "Skipped tests and why:"
  echo "$skipped"
fi
exit $status
