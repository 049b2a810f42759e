#!/usr/bin/env bash
# Installs the build into a scratch prefix, then configures, builds and runs
# tests/install (find_package(tapeflow) + the C++ API).
# usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2 work=$1/install-check
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
cmake -S "$src/tests/install" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
  >> "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
cmake --build "$work/consumer" >> "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
"$work/consumer/consumer"
