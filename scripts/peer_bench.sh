#!/usr/bin/env bash
# clipforge beside the real OpenCLIP on this machine, both sides alternately in one run, on one
# torch version and one environment (scripts/peer_bench.py says what is timed):
#
#   scripts/peer_bench.sh [--quick] [--rows train,inference,tokenizer,data]
#       the LibTorch 2.11 build (build-torch2/) against OpenCLIP 3.3.0 on torch 2.11 (.venv/)
#   scripts/peer_bench.sh --torch1 [...]
#       the LibTorch 1.13 build (build/) against OpenCLIP 2.32.0 on Debian's torch 1.13
#       (.venv-torch1/, made by scripts/setup.sh --peer-torch1)
#
# Each side in its best setting here: THREADS (default 2) intra-op threads, glibc's malloc keeping
# freed memory on the heap (no trim, no mmap: a step reuses its buffers instead of faulting fresh
# pages in; clipforge sets the same with mallopt), and the OpenMP wait policy a probe finds faster
# for that side. OPENBLAS_CORETYPE is left as the machine sets it. JSON on stdout; one line per
# figure on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--torch1" ]; then
  shift
  scripts/setup.sh --peer-torch1 >&2
  python=.venv-torch1/bin/python binary=build/src/cli/clipforge
else
  scripts/setup.sh --torch2 >&2
  python=.venv/bin/python binary=build-torch2/src/cli/clipforge
fi
[ -x "$binary" ] || { echo "peer_bench: $binary not built (scripts/build.sh, TORCH2=1 for build-torch2)" >&2; exit 2; }
export GLIBC_TUNABLES=glibc.malloc.trim_threshold=18446744073709551615:glibc.malloc.mmap_max=0
exec "$python" scripts/peer_bench.py --clipforge "$binary" --threads "${THREADS:-2}" \
  --vocab "$("$python" -c 'import open_clip; print(open_clip.tokenizer.default_bpe())')" "$@"
