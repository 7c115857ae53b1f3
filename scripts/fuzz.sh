#!/usr/bin/env bash
# Fuzzes clipforge's parsers with libFuzzer (clang, AddressSanitizer, UndefinedBehaviorSanitizer).
#
#   scripts/fuzz.sh --list             the targets
#   scripts/fuzz.sh TARGET SECONDS     build, then fuzz one target
#   scripts/fuzz.sh --all SECONDS      every target in turn (CI runs this with 20)
#
# Builds in build-fuzz/. The growing corpus stays in build-fuzz/corpus/TARGET; the seeds are
# tests/fuzz/seeds/TARGET (and the shipped models/*.json for model_config). A crash leaves its
# input in build-fuzz/crashes/TARGET/ and makes the script fail: turn it into a regression test.
# FUZZ_SEED (default 1) is libFuzzer's -seed; 0 means a random one.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=(safetensors model_config webdataset tokenizer shard_urls rerank_jsonl npy csv image_decode serve_requests)
BUILD_DIR=build-fuzz

usage() { echo "usage: scripts/fuzz.sh --list | TARGET SECONDS | --all SECONDS" >&2; exit 2; }
[ $# -ge 1 ] || usage
if [ "$1" = "--list" ]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi
[ $# -eq 2 ] || usage
case "$2" in ''|*[!0-9]*) usage ;; esac
seconds=$2
if [ "$1" = "--all" ]; then
  selected=("${TARGETS[@]}")
else
  printf '%s\n' "${TARGETS[@]}" | grep -qx "$1" || { echo "fuzz: unknown target '$1' (see --list)" >&2; exit 2; }
  selected=("$1")
fi

scripts/setup.sh >/dev/null
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DCLIPFORGE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" >/dev/null

# The tokenizer target fuzzes OpenAI's vocabulary when the team material is there.
shared_vocab=../shared/data/bpe_simple_vocab_16e6.txt.gz
[ -f "$shared_vocab" ] && export CLIPFORGE_VOCAB="$PWD/$shared_vocab"

# A fixed seed makes CI's short runs repeat the mutations a developer already ran clean;
# FUZZ_SEED=0 lets libFuzzer pick a new one (what longer runs by hand should do).
seed=${FUZZ_SEED:-1}
status=0
for target in "${selected[@]}"; do
  corpus="$BUILD_DIR/corpus/$target" crashes="$BUILD_DIR/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  seeds=(tests/fuzz/seeds/"$target")
  [ "$target" = model_config ] && seeds=(models)
  log="$BUILD_DIR/fuzz_$target.log"
  if "$BUILD_DIR/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    result=clean
  else
    result="CRASH (input in $crashes/, log $log)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  echo "fuzz $target: $result, ${seconds} s, $runs executions, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs"
done
exit $status
