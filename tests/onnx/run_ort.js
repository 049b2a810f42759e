// tests/onnx/run_ort.js - runs an ONNX model in ONNX Runtime (onnxruntime-node)
// on float32 (or int32) inputs read from a raw little-endian file and prints
// the first output, one value per line.
//   node run_ort.js MODEL.onnx INPUT.bin N,C,H,W [float32|int32]
// NODE_PATH must reach onnxruntime-node (tests/onnx/install-ort.sh).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputFile, dimsText, dtype = 'float32'] = process.argv.slice(2);
  if (!dimsText) throw new Error('usage: node run_ort.js MODEL.onnx INPUT.bin N,C,H,W');
  const dims = dimsText.split(',').map(Number);
  const buf = fs.readFileSync(inputFile);
  const Typed = dtype === 'int32' ? Int32Array : Float32Array;
  const data = new Typed(buf.buffer, buf.byteOffset, buf.length / 4);
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor(dtype, data, dims) });
  const y = out[s.outputNames[0]];
  process.stdout.write(Array.from(y.data, (v) => v.toPrecision(9)).join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`run_ort: ${e.message}\n`);
  process.exit(1);
});
