#!/usr/bin/env bash
# The one clang configuration, in build-clang: every file of the project
# (library, CLI, tests, examples, benchmarks, fuzzers) compiled by clang with
# warnings as errors, AddressSanitizer and UndefinedBehaviorSanitizer (every
# report fatal) and libFuzzer's coverage instrumentation. The tests run from
# it (scripts/sanitize.sh) and the fuzzers are built in it (scripts/fuzz.sh),
# so clang compiles each file once. The benchmarks cost 9 files (about 1% of
# the build) and are compiled, not run, so that clang checks every file.
# Extra arguments go to CMake. Does nothing more when build-clang is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
# Clones elsewhere share the cache: paths under here are hashed relative to
# it, and the working directory is not hashed (no compile command names it;
# in the clang build's debug information a reused object names the clone
# that compiled it first).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTAPEFLOW_FUZZ=ON -DTAPEFLOW_SANITIZE=ON -DTAPEFLOW_WERROR=ON "$@" \
  > build-clang.log 2>&1 || { cat build-clang.log; exit 1; }
cmake --build build-clang -j"$(nproc)" >> build-clang.log 2>&1 || {
  grep -E 'error|warning' build-clang.log | head -40; tail -20 build-clang.log; exit 1; }
echo "build-clang: ok"
