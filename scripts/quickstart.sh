#!/usr/bin/env bash
# The README's first command: installs what is missing (as root), builds,
# fetches the MNIST digits and trains LeNet-5 (the Keras variant, SGD with
# momentum, 10 epochs), showing progress and the final test accuracy. Each
# run goes to a fresh directory runs/lenet5_keras-<n>.
# Extra arguments go to `tapeflow train` (e.g. --epochs 3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/fetch-data.sh
exec build/tools/tapeflow train --model models/lenet5_keras.pbtxt \
  --solver models/lenet5_keras.solver.pbtxt --data data/mnist "$@"
