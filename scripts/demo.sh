#!/usr/bin/env bash
# The demo on a fresh Debian 12 machine: trains a small CLIP from scratch on Fashion-MNIST on the
# CPU (about 7 minutes of training on 2 cores: 90.4% zero-shot top-1), then reports zero-shot
# accuracy on the 10,000 test images with prompt templates it never saw in training, writes the
# plots, and shows test images with predictions.
#
#   scripts/demo.sh            # everything below lands in data/fashion-mnist/ and runs/
#   EPOCHS=1 EPOCH_SAMPLES=10000 scripts/demo.sh   # a shorter run (in a fresh runs/ folder)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo
TARGET=clipforge scripts/build.sh
bin=build/src/cli/clipforge
data=data/fashion-mnist
run=runs/demo-fashion-mnist
mkdir -p runs

$bin info
echo

if [ ! -f "$data/classes.txt" ]; then
  echo "== writing Fashion-MNIST as WebDataset shards (captions from 4 templates) into $data"
  mkdir -p "$data"
  printf '%s\n' "a photo of a {}." "a black and white picture of a {}." "a small image of the {}." "{}" > "$data/caption_templates.txt"
  $bin datasets fashion-mnist --out "$data" --templates "$data/caption_templates.txt"
fi

# Every shard the converter wrote, as a brace range.
range_of() { printf '%s/{00000..%05d}.tar' "$1" $(( $(ls "$1"/*.tar | wc -l) - 1 )); }

# Zero-shot prompts never used as training captions.
templates="$data/zeroshot_templates.txt"
printf '%s\n' "a picture of a {}." "an image of a {}." "a grayscale photo of the {}." > "$templates"
# One single-threaded rank per core (up to 8, a power of two) beats one process with a thread per
# core on a model this small (docs/distributed.md); the global batch stays 128 whatever the count.
ranks=1
while [ $((ranks * 2)) -le "$(nproc)" ] && [ $((ranks * 2)) -le 8 ]; do ranks=$((ranks * 2)); done
echo "== training ${EPOCHS:-4} epochs of ${EPOCH_SAMPLES:-60000} images on $ranks ranks (model: models/demo-RN-32.json); Ctrl-C and rerun to resume"
time scripts/launch_local.sh "$ranks" -- $bin --threads 1 train --model demo-RN-32 --name demo-fashion-mnist --logs runs \
  --resume latest --train-data "$(range_of "$data/train")" --val-data "$(range_of "$data/test")" \
  --train-num-samples "${EPOCH_SAMPLES:-60000}" --zeroshot-classes "$data/classes.txt" --zeroshot-templates "$templates" \
  --batch-size $((128 / ranks)) --epochs "${EPOCHS:-4}" --lr 1e-3 --wd 0.1 --warmup 100 --scale 1 1 \
  --workers 1 --log-every-n-steps 20 > "$run.stdout"
# Every rank prints a summary; rank 0's is the run's.
sed -n 's/^\[0\] //p' "$run.stdout" > "$run.summary.json"

echo
echo "== zero-shot on the 10,000 test images (templates: $(paste -sd '|' "$templates"))"
# From the run's last evaluation, so a rerun of a finished run (which trains and evaluates nothing) reports it too.
top1=$(grep '"zeroshot"' "$run/metrics.jsonl" | tail -1 | grep -o '"top1": *[0-9.]*' | grep -o '[0-9.]*$')
echo "top-1 accuracy: $top1"
$bin plot "$run"

echo
echo "== a few test images and what the trained model calls them"
mkdir -p "$data/samples"
members=$(for i in 0 1 2 3 4 5; do printf '00000%d.png 00000%d.json ' "$i" "$i"; done)
tar -xf "$data/test/00000.tar" -C "$data/samples" $members
weights="$run/checkpoints/$(cat "$run/checkpoints/latest").safetensors"
$bin zeroshot --weights "$weights" --vocab "$run/vocab.txt.gz" --classes "$data/classes.txt" \
  --templates "$templates" --top-k 1 --no-cache "$data/samples"
echo "true labels:"
for f in "$data"/samples/*.json; do echo "  $(basename "$f" .json).png: $(grep -o '"class":"[^"]*"' "$f" | cut -d'"' -f4)"; done
echo
echo "Run folder:   $run (params.json, vocab.txt.gz, metrics.jsonl, checkpoints/, plots/)"
echo "Summary:      $run.summary.json"
