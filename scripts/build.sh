#!/usr/bin/env bash
# Configures and builds tapeflow in build/ (Release). Extra arguments go to
# CMake, e.g. scripts/build.sh -DTAPEFLOW_WERROR=ON
set -euo pipefail
cd "$(dirname "$0")/.."
# Clones elsewhere share the cache: paths under here are hashed relative to
# it, and the working directory is not hashed (no compile command names it;
# in the clang build's debug information a reused object names the clone
# that compiled it first).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)"
