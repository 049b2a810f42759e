#!/usr/bin/env bash
# Installs ONNX Runtime for Node (onnxruntime-node 1.30.0, CPU binaries
# included) into DIR (default build/ort), for the ONNX export tests. The
# package's postinstall only fetches GPU binaries from an unreachable host,
# hence --ignore-scripts. Does nothing when it is already there.
set -euo pipefail
dir=${1:-build/ort}
if [ -f "$dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "install-ort: onnxruntime-node present in $dir"
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "install-ort: npm not found; ONNX Runtime tests will skip" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"tapeflow-ort","private":true}' > package.json
npm install --no-audit --no-fund --ignore-scripts --loglevel=error onnxruntime-node@1.30.0
