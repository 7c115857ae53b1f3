#!/usr/bin/env bash
# Installs every Debian 12 package clipforge needs to build, test and run. Idempotent: packages
# already present are skipped, and nothing is fetched when all are there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ccache pkg-config
  libtorch-dev libgloo-dev
  libopenblas0-pthread   # without it LibTorch's matmuls run on the reference BLAS, ~47x slower
  libdnnl-dev            # oneDNN's sgemm for the CPU linear and attention kernels (the library LibTorch links)
  libopencv-dev nlohmann-json3-dev libcli11-dev catch2
  libpcre2-dev libicu-dev zlib1g-dev
  python3-torch          # only for the tests that launch ranks with torchrun
  libarchive-dev libjpeg-dev   # shard reading/writing; direct JPEG decoding in the data loader
  libfaiss-dev           # nearest-neighbour indexes (`clipforge index`, `search`)
  clang libclang-rt-14-dev     # libFuzzer targets (scripts/fuzz.sh)
)

# The demo's data set, only when asked for (scripts/demo.sh passes --demo).
[ "${1:-}" = "--demo" ] && PACKAGES+=(dataset-fashion-mnist)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian picks the BLAS behind libblas.so.3 with alternatives; make sure it is OpenBLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || readlink -f /usr/lib/$(uname -m)-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: libblas.so.3 resolves to '$blas', not OpenBLAS (see update-alternatives --config libblas.so.3-$(uname -m)-linux-gnu)" >&2 ;;
esac
echo "setup: all packages present"
