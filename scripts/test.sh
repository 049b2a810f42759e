#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (the README's test
# command; CI runs it, then scripts/check-extended.sh: .ci/run). With
# TAPEFLOW_EXTENDED_CHECKS=1 it goes on with scripts/check-extended.sh (the
# clang build, the whole suite under ASan+UBSan, 60 s of each fuzzer) as CI
# does. Each part prints its wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
# Clones elsewhere share the cache: paths under here are hashed relative to
# it, and the working directory is not hashed (no compile command names it;
# in the clang build's debug information a reused object names the clone
# that compiled it first).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
# Runs a part and prints its wall and CPU time (user and system, children
# included: on a shared machine the CPU time is the figure to compare).
timed() {
  local rc=0 TIMEFORMAT="test.sh: '$*' took %0R s (CPU %0U s user + %0S s sys)"
  time "$@" || rc=$?
  return $rc
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
timed bash tests/onnx/install-ort.sh build/ort || echo "test: onnxruntime-node not installed; ONNX Runtime tests will skip" >&2
timed ctest --test-dir build --output-on-failure -j"$(nproc)"
# The extended checks, as CI runs them after this script (.ci/run).
if [ "${TAPEFLOW_EXTENDED_CHECKS:-}" = 1 ]; then
  bash scripts/check-extended.sh 60
fi
