#!/usr/bin/env bash
# The extended checks, after scripts/test.sh (CI runs both, .ci/run): the
# clang build of every file with warnings as errors, ASan, UBSan and fuzzing
# coverage (scripts/build-clang.sh, in build-clang); the whole test suite
# under the sanitizers from it (scripts/sanitize.sh); each fuzzer for SECONDS
# (default 60, scripts/fuzz.sh). Each part prints its wall time.
# usage: scripts/check-extended.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
# Clones elsewhere share the cache: paths under here are hashed relative to
# it, and the working directory is not hashed (no compile command names it;
# in the clang build's debug information a reused object names the clone
# that compiled it first).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
secs=${1:-60}
# Runs a part and prints its wall and CPU time (user and system, children
# included: on a shared machine the CPU time is the figure to compare).
timed() {
  local rc=0 TIMEFORMAT="check-extended.sh: '$*' took %0R s (CPU %0U s user + %0S s sys)"
  time "$@" || rc=$?
  return $rc
}
timed bash scripts/build-clang.sh
timed bash scripts/sanitize.sh
timed bash scripts/fuzz.sh "$secs"
