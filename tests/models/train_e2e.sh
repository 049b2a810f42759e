#!/usr/bin/env bash
# End-to-end: fetch the MNIST digits (scripts/fetch-data.sh) and train
# lenet5_keras for one epoch with Adam; the test accuracy must exceed 90%.
# usage: train_e2e.sh SOURCE_DIR TAPEFLOW_BINARY WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
bash "$src/scripts/fetch-data.sh" "$work/data" > "$work/fetch.log" 2>&1 || {
  cat "$work/fetch.log"; exit 1; }
"$bin" train --model "$src/models/lenet5_keras.pbtxt" \
  --solver "$src/models/lenet5_keras_adam.solver.pbtxt" --data "$work/data/mnist" \
  --epochs 1 --out "$work/run" | tee "$work/train.log"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$work/train.log")
[ -n "$acc" ] || { echo "no test accuracy in the output"; exit 1; }
awk -v a="$acc" 'BEGIN { if (a > 90.0) { print "test accuracy " a "% > 90%: ok"; exit 0 }
                         print "test accuracy " a "% <= 90%"; exit 1 }'
