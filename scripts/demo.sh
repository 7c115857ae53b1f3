#!/usr/bin/env bash
# The demo on a fresh Debian 12 machine: set-up, build, show what the binary runs on, and run a
# shipped model config on a random batch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
bin=build/src/cli/clipforge
$bin info
echo
echo "== ViT-B-32 (random weights), one batch of 8 through both towers, fp32 inference"
$bin bench model --model ViT-B-32 --batch 8 --warmup 0 --iters 1
