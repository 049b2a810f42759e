#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (the README's test
# command; CI runs exactly this). With TAPEFLOW_EXTENDED_CHECKS=1 it also
# builds with clang (warnings as errors), runs the whole suite under
# ASan+UBSan and runs each fuzzer for 60 seconds (scripts/build-clang.sh,
# sanitize.sh, fuzz.sh); each part prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=$PWD  # clones elsewhere share the cache
timed() {
  local start=$SECONDS
  "$@"
  echo "test.sh: '$*' took $((SECONDS - start)) s"
}
bash scripts/check-line-budget.sh
# CI also installs PyTorch (about 5 minutes of apt) so that the tests of
# models PyTorch exports run there instead of skipping.
[ "${CI:-}" = true ] && export TAPEFLOW_TORCH="${TAPEFLOW_TORCH:-1}"
timed bash scripts/install-deps.sh
werror=OFF
[ "${CI:-}" = true ] && werror=ON
timed bash scripts/build.sh -DTAPEFLOW_WERROR=$werror
# ONNX Runtime for the ONNX export tests (they skip, saying why, without it).
bash tests/onnx/install-ort.sh build/ort || echo "test: onnxruntime-node not installed; ONNX Runtime tests will skip" >&2
timed ctest --test-dir build --output-on-failure -j"$(nproc)"
# The clang build, the whole suite under ASan+UBSan and 60 s of each fuzzer
# (about 40 minutes more on two cores with a cold cache): opt-in with
# TAPEFLOW_EXTENDED_CHECKS=1; not yet part of CI.
if [ "${TAPEFLOW_EXTENDED_CHECKS:-}" = 1 ]; then
  timed bash scripts/build-clang.sh
  timed bash scripts/sanitize.sh
  timed bash scripts/fuzz.sh 60
fi
