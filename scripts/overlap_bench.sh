#!/usr/bin/env bash
# How much of the gradient all-reduce backward hides: trains a few steps on 2 local Gloo ranks
# (one thread each) and prints, as JSON, the mean per-step wait in GradientSync::finish()
# (comm_wait_s, the communication backward did not hide), the feature all-gather time and the
# step time, for each model.
#
#   scripts/overlap_bench.sh [BUILD_DIR] [EXTRA TRAIN FLAGS...]   (default build/)
#
# Needs the demo's Fashion-MNIST shards (scripts/demo.sh makes them, or
# `clipforge datasets fashion-mnist --out data/fashion-mnist`). docs/distributed.md quotes it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
bin=$build/src/cli/clipforge
data=data/fashion-mnist
[ -x "$bin" ] || { echo "overlap_bench: $bin not built" >&2; exit 2; }
[ -f "$data/train/00000.tar" ] || { echo "overlap_bench: $data/train missing (run scripts/demo.sh once)" >&2; exit 2; }
shards=$(printf '%s/{00000..%05d}.tar' "$data/train" $(( $(ls "$data"/train/*.tar | wc -l) - 1 )))
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# model, per-rank batch, steps (the first 2 are warm-up and not counted)
runs=("demo-RN-32 64 22" "ViT-B-32 8 10")
for spec in "${runs[@]}"; do
  read -r model batch steps <<<"$spec"
  MASTER_PORT=$((29600 + RANDOM % 1000)) scripts/launch_local.sh 2 -- "$bin" --threads 1 train --model "$model" \
    --name "$model" --logs "$logs" --train-data "$shards" --train-num-samples 60000 --batch-size "$batch" \
    --max-steps "$steps" --log-every-n-steps 1 --workers 1 --scale 1 1 --warmup 1 "$@" >/dev/null
  metrics=$logs/$model/metrics.jsonl
  grep '"comm_wait_s"' "$metrics" | tail -n +3 | awk -v model="$model" -v batch="$batch" '
    function value(key,   s) {
      if (!match($0, "\"" key "\": *[-0-9.eE+]+")) return 0
      s = substr($0, RSTART, RLENGTH); sub(/^[^:]*: */, "", s); return s + 0
    }
    { w += value("comm_wait_s"); g += value("gather_s"); c += value("compute_s"); n++ }
    END { printf "{\"model\": \"%s\", \"batch_per_rank\": %d, \"ranks\": 2, \"threads_per_rank\": 1, \"steps\": %d, \"comm_wait_s\": %.4f, \"gather_s\": %.4f, \"step_s\": %.4f}\n",
                 model, batch, n, w / n, g / n, c / n }'
done
"$bin" --threads 1 info | grep -E "^(clipforge|LibTorch|BLAS|CPU|intra)" | sed "s/^/# /"
