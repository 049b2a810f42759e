#!/usr/bin/env bash
# Runs examples/lenet5_mnist as ctest does: fetches the MNIST digits with
# scripts/fetch-data.sh (as tests/models/train_e2e.sh does), then trains for
# 200 steps (about 10 s); the test accuracy must exceed 80%.
# usage: run_lenet5.sh SOURCE_DIR LENET5_BINARY WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
mkdir -p "$work"
bash "$src/scripts/fetch-data.sh" "$work/data" > "$work/fetch.log" 2>&1 || {
  cat "$work/fetch.log"
  echo "run_lenet5: error: could not fetch the MNIST data into $work/data (see above)" >&2
  exit 1; }
"$bin" "$src/models/lenet5_keras.pbtxt" "$work/data/mnist" 200 80
