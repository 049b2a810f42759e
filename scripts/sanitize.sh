#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (every report fatal, leaks included) from the clang build, build-clang
# (scripts/build-clang.sh, built first if needed). Leak reports from
# third-party libraries' own caches are suppressed by tests/sanitizer/lsan.supp
# (by library, never ours). ONNX Runtime and PyTorch run in their own
# unsanitized processes against our sanitized tapeflow; mpirun starts
# sanitized ranks.
# usage: scripts/sanitize.sh [extra ctest arguments, e.g. -R Checkpoint]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/build-clang.sh
# The ONNX Runtime tests look in build-clang/ort: share build/ort when the
# GCC build has it (scripts/test.sh installs it), else install it there.
if [ -d build/ort/node_modules/onnxruntime-node ] && [ ! -e build-clang/ort ]; then
  ln -s "$root/build/ort" build-clang/ort
fi
bash tests/onnx/install-ort.sh build-clang/ort ||
  echo "sanitize: onnxruntime-node not installed; ONNX Runtime tests will skip" >&2
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0
# Left out here, each for a stated reason (tests/RELIABILITY.md, I01):
# - Install.*: builds a consumer project against the installed static
#   libraries without the sanitizer runtime (it cannot link); it runs in the
#   GCC build (scripts/test.sh), and the code it exercises runs here in
#   every other test.
status=0
ctest --test-dir build-clang --output-on-failure -j"$(nproc)" -E '^Install\.' -LE '^mpi$' "$@" ||
  status=1
# The mpirun tests: Open MPI leaks at exit from plugins it has already
# unloaded; with the slow unwinder every such stack also names the Open MPI
# library the suppressions match (tests/sanitizer/lsan.supp).
ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0 \
  ctest --test-dir build-clang --output-on-failure -L '^mpi$' "$@" || status=1
exit $status
