#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (the README's test
# command; CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-line-budget.sh
bash scripts/install-deps.sh
werror=OFF
[ "${CI:-}" = true ] && werror=ON
bash scripts/build.sh -DTAPEFLOW_WERROR=$werror
# ONNX Runtime for the ONNX export tests (they skip, saying why, without it).
bash tests/onnx/install-ort.sh build/ort || echo "test: onnxruntime-node not installed; ONNX Runtime tests will skip" >&2
ctest --test-dir build --output-on-failure -j"$(nproc)"
