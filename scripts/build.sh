#!/usr/bin/env bash
# Configures and builds tapeflow in build/ (Release). Extra arguments go to
# CMake, e.g. scripts/build.sh -DTAPEFLOW_WERROR=ON
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=$PWD  # clones elsewhere share the cache
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)"
