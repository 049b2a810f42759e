#!/usr/bin/env bash
# Builds everything (library, CLI, tests, benchmarks) with clang in
# build-clang, warnings as errors: the project compiles warning-free with
# both GCC (scripts/build.sh) and clang. Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=$PWD  # clones elsewhere share the cache
CC=clang CXX=clang++ cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release \
  -DTAPEFLOW_WERROR=ON "$@" > build-clang.log 2>&1 || { cat build-clang.log; exit 1; }
cmake --build build-clang -j"$(nproc)" >> build-clang.log 2>&1 || {
  grep -E 'error|warning' build-clang.log | head -40; exit 1; }
echo "build-clang: ok"
