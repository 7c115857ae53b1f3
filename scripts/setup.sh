#!/usr/bin/env bash
# Installs every Debian 12 package clipforge needs to build, test and run. Idempotent: packages
# already present are skipped, and nothing is fetched when all are there.
#
#   scripts/setup.sh           Debian's packages (LibTorch 1.13, CPU only)
#   scripts/setup.sh --demo    ... and the demo's data set
#   scripts/setup.sh --torch2  ... and LibTorch 2.11 (CUDA 13, NCCL) for the second build:
#                              PyPI's torch wheel in .venv/, gloo's headers in .venv/gloo/
#   scripts/setup.sh --peer-torch1  ... and OpenCLIP 2.32 on Debian's torch 1.13 in .venv-torch1/,
#                              the peer of the 1.13 build in scripts/peer_bench.sh --torch1
set -euo pipefail
cd "$(dirname "$0")/.."

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
  libcpp-httplib-dev     # HTTP/1.1 server of `clipforge serve`
  wrk                    # load generator of scripts/serve_bench.sh
  clang libclang-rt-14-dev     # libFuzzer targets (scripts/fuzz.sh)
  iproute2               # `ip netns`: the two-node tests (scripts/netns_nodes.sh)
)

# The demo's data set, only when asked for (scripts/demo.sh passes --demo).
[ "${1:-}" = "--demo" ] && PACKAGES+=(dataset-fashion-mnist)
[ "${1:-}" = "--torch2" ] && PACKAGES+=(python3-venv)
[ "${1:-}" = "--peer-torch1" ] && PACKAGES+=(python3-venv python3-torchvision python3-regex python3-tqdm)

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

if [ "${1:-}" = "--peer-torch1" ]; then
  if ! cmp -s scripts/requirements-peer-torch1.txt .venv-torch1/installed-requirements.txt; then
    echo "setup: installing OpenCLIP 2.32 on Debian's torch 1.13 into .venv-torch1"
    rm -rf .venv-torch1
    /usr/bin/python3 -m venv --system-site-packages .venv-torch1
    .venv-torch1/bin/pip install -q --disable-pip-version-check --no-deps -r scripts/requirements-peer-torch1.txt
    cp scripts/requirements-peer-torch1.txt .venv-torch1/installed-requirements.txt
  fi
  exit 0
fi
[ "${1:-}" = "--torch2" ] || exit 0

# LibTorch 2.x: the torch wheel carries headers, libraries and share/cmake/Torch. The wheel's
# libraries find the CUDA 13 runtime, cuBLAS, cuDNN and NCCL in the machine's toolkit
# (/usr/local/cuda, on the loader's path); the three it lacks come as wheels (requirements file).
# The same environment holds the oracle packages of tests/interop (the real OpenCLIP, ...) and
# the serve benchmark's FastAPI service and schemathesis.
requirements=(scripts/requirements-torch2.txt scripts/requirements-oracle.txt scripts/requirements-transformers4.txt
              scripts/requirements-serve.txt)
if ! cat "${requirements[@]}" | cmp -s - .venv/installed-requirements.txt; then
  echo "setup: installing LibTorch 2.x ($(grep -m1 '^torch==' "${requirements[0]}")) and the interop oracles into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r "${requirements[0]}" -r "${requirements[1]}" -r "${requirements[3]}"
  rm -rf .venv/transformers4
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --target .venv/transformers4 -r "${requirements[2]}"
  cat "${requirements[@]}" > .venv/installed-requirements.txt
fi

# gloo's headers, which the wheel leaves out (its code is inside libtorch_cpu). 2.x's
# ProcessGroupGloo.hpp needs the rendezvous store API of gloo 2023 (has_v2_support, multi_get),
# which Debian 12's libgloo-dev (2022) lacks: take Debian 13's package, unpacked here only.
gloo=libgloo-dev=0.0~git20231202.5354032-3+b2
if [ ! -f .venv/gloo/usr/include/gloo/rendezvous/store.h ]; then
  echo "setup: unpacking $gloo's headers into .venv/gloo"
  apt_dir=$(mktemp -d)
  mkdir -p "$apt_dir/lists/partial"
  echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
  apt_options=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o Dir::State::Lists="$apt_dir/lists" -o Debug::NoLocking=1)
  # Run as root into a private folder, apt warns that its download user cannot write there: noise.
  (cd "$apt_dir" && apt-get "${apt_options[@]}" update -q && apt-get "${apt_options[@]}" download "$gloo") \
    >"$apt_dir/log" 2>&1 || { cat "$apt_dir/log" >&2; echo "setup: could not download $gloo" >&2; exit 1; }
  deb=$(ls "$apt_dir"/libgloo-dev_*.deb)
  rm -rf .venv/gloo && dpkg -x "$deb" .venv/gloo
  rm -rf "$apt_dir"
fi
echo "setup: LibTorch $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("torch"))') in .venv"
