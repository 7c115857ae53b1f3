#!/usr/bin/env bash
# The GPU checks of clipforge's CUDA paths, for a machine with one GPU, a PyTorch 2.x image
# (python3 with torch, CMake, ninja, nvcc) and no network. Two steps:
#
#   scripts/gpu_check.sh --prepare   here, with the network: gathers into .gpu_deps/ what such a
#                                    machine lacks (nlohmann/json and gloo headers; the
#                                    open_clip_torch, ftfy and wcwidth wheels for Python 3.12)
#   scripts/gpu_check.sh             there, in the repository root with .gpu_deps/ carried along:
#                                    builds core, model, dist and the training step against that
#                                    image's own torch, runs build-gpu/tests/gpu/clipforge_gpu_check
#                                    (one PASS/FAIL line per check, a benchmark JSON line), then
#                                    OpenCLIP's own step on the same GPU for the side-by-side figure
#
# Exits non-zero when any check fails. Budget: under 8 minutes on one H100 (build ~2 of them).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  [ -f .venv/gloo/usr/include/gloo/rendezvous/store.h ] || scripts/setup.sh --torch2
  rm -rf .gpu_deps && mkdir -p .gpu_deps/include .gpu_deps/wheels
  cp -r /usr/include/nlohmann .gpu_deps/include/
  cp -r .venv/gloo/usr/include/gloo .gpu_deps/include/
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform any -d .gpu_deps/wheels \
    open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.2.14
  du -sh .gpu_deps
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/gpu_check.sh [--prepare]" >&2; exit 2; }
[ -d .gpu_deps/include/nlohmann ] || { echo "gpu_check: no .gpu_deps: run scripts/gpu_check.sh --prepare first" >&2; exit 2; }

python=${PYTHON:-python3}
torch_cmake=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
echo "gpu_check: torch $("$python" -c 'import torch; print(torch.__version__)') from $torch_cmake"
start=$(date +%s)
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0} cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCLIPFORGE_GPU_CHECK_ONLY=ON -DCMAKE_PREFIX_PATH="$torch_cmake" \
  -DCLIPFORGE_JSON_INCLUDE_DIR="$PWD/.gpu_deps/include" -DCLIPFORGE_GLOO_INCLUDE_DIR="$PWD/.gpu_deps/include" >/dev/null
cmake --build build-gpu -j "$(nproc)" --target clipforge_gpu_check >/dev/null
echo "gpu_check: built in $(( $(date +%s) - start )) s"

status=0
build-gpu/tests/gpu/clipforge_gpu_check || status=1

site=$(mktemp -d)
"$python" -m pip install -q --no-index --no-deps --no-compile --target "$site" .gpu_deps/wheels/*.whl
PYTHONPATH="$site" "$python" scripts/openclip_train_bench.py --model ViT-B-32 --batch 256 --precision bf16 --iters 20 || status=1
exit $status
