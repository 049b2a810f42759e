#!/usr/bin/env bash
# End-to-end ONNX import: PyTorch 1.13 exports the Keras LeNet-5
# (tests/onnx/torch_export.py), `tapeflow import` turns it into a graph file
# and a checkpoint with a training head, and `tapeflow train --init-from`
# trains it one epoch on the MNIST digits: test accuracy must exceed 90%.
# Exits 77 (ctest: skipped), saying why, when Debian's python3-torch is
# not installed.
# usage: torch_import_train.sh SOURCE_DIR TAPEFLOW_BINARY WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! /usr/bin/python3 -c 'import torch' > /dev/null 2>&1; then
  echo "skipped: /usr/bin/python3 cannot import torch (Debian python3-torch is not installed)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 "$src/tests/onnx/torch_export.py" "$work"
bash "$src/scripts/fetch-data.sh" "$work/data" > "$work/fetch.log" 2>&1 || {
  cat "$work/fetch.log"; exit 1; }
"$bin" import "$work/keras_lenet5.onnx" -o "$work/imported.pbtxt" \
  --checkpoint-out "$work/imported.tfck" --add-loss softmax_cross_entropy
"$bin" train --model "$work/imported.pbtxt" --init-from "$work/imported.tfck" \
  --solver "$src/models/lenet5_keras_adam.solver.pbtxt" --data "$work/data/mnist" \
  --epochs 1 --out "$work/run" | tee "$work/train.log"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$work/train.log")
[ -n "$acc" ] || { echo "no test accuracy in the output"; exit 1; }
awk -v a="$acc" 'BEGIN { if (a >= 90.0) { print "imported LeNet-5: test accuracy " a "% >= 90%: ok"; exit 0 }
                         print "imported LeNet-5: test accuracy " a "% < 90%"; exit 1 }'
