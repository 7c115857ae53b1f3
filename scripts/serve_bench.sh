#!/usr/bin/env bash
# `clipforge serve` under load, soak and fuzz on loopback (scripts/serve_bench.py says what each
# mode measures), with the LibTorch 2.11 build against the real OpenCLIP 3.3.0 on torch 2.11:
#
#   scripts/serve_bench.sh bench [--quick]     throughput and latency beside FastAPI+OpenCLIP and processes
#   scripts/serve_bench.sh soak [--minutes 10] RSS and errors under steady load
#   scripts/serve_bench.sh fuzz [--examples N] schemathesis against /openapi.json
#
# THREADS (default 2) intra-op threads for every side; glibc's malloc keeps freed memory on the
# heap for both sides, as in scripts/peer_bench.sh. JSON on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --torch2 >&2
binary=${CLIPFORGE_BIN:-build-torch2/src/cli/clipforge}
[ -x "$binary" ] || { echo "serve_bench: $binary not built (TORCH2=1 scripts/build.sh)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "serve_bench: wrk missing (scripts/setup.sh installs it)" >&2; exit 2; }
export GLIBC_TUNABLES=glibc.malloc.trim_threshold=18446744073709551615:glibc.malloc.mmap_max=0
exec .venv/bin/python scripts/serve_bench.py "$@" --clipforge "$binary" --threads "${THREADS:-2}" \
  --vocab "$(.venv/bin/python -c 'import open_clip; print(open_clip.tokenizer.default_bpe())')"
