#!/usr/bin/env bash
# Configures and builds clipforge (Release, ccache when present) into build/. Two parallel jobs:
# each LibTorch translation unit needs ~1.5 GB of memory and these machines have 2 cores.
# TARGET=clipforge builds the binary alone (no tests).
# TORCH2=1 builds against LibTorch 2.x from .venv (scripts/setup.sh --torch2) into build-torch2/;
# the default is Debian's LibTorch 1.13 into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_options=()
if [ "${TORCH2:-0}" = 1 ]; then
  BUILD_DIR=${BUILD_DIR:-build-torch2}
  [ -x .venv/bin/python ] || { echo "build: no .venv: run scripts/setup.sh --torch2 first" >&2; exit 2; }
  site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  torch_options=(-DCMAKE_PREFIX_PATH="$site/torch/share/cmake" -DCLIPFORGE_GLOO_INCLUDE_DIR="$PWD/.venv/gloo/usr/include"
                 -DCLIPFORGE_TORCH_PYTHON="$PWD/.venv/bin/python" -DCLIPFORGE_ORACLE_PYTHON="$PWD/.venv/bin/python")
  # clipforge compiles no CUDA code itself; naming one architecture spares the GPU probe.
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
fi
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "${torch_options[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" ${TARGET:+--target "$TARGET"}
