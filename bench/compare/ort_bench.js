// bench/compare/ort_bench.js - times an exported model in ONNX Runtime
// (onnxruntime-node, CPU) the way torch_lenet.py times PyTorch: per batch, a
// warm-up, then --windows timed windows that each run whole calls until they
// have lasted --window-seconds; one JSON object on stdout with the median.
//   NODE_PATH=build/ort/node_modules node ort_bench.js MODEL.onnx \
//     --dims C,H,W --batches 1,256 [--threads 2] [--windows 5]
//     [--window-seconds 1] [--warmup-seconds 1]     (--option=value works too)
// Session: intra-op threads --threads, one inter-op thread, sequential
// execution, every graph optimisation on ('all'). The input is fixed
// uniform [-1, 1) data, made once per batch outside the timed calls.
'use strict';
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = { threads: 2, windows: 5, windowSeconds: 1, warmupSeconds: 1, batches: [1, 256] };
  const rest = [];
  argv = argv.flatMap((x) => (x.startsWith('--') && x.includes('=') ? x.split(/=(.*)/s, 2) : [x]));
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--dims') { a.dims = v.split(',').map(Number); ++i; }
    else if (k === '--batches') { a.batches = v.split(',').map(Number); ++i; }
    else if (k === '--threads') { a.threads = Number(v); ++i; }
    else if (k === '--windows') { a.windows = Number(v); ++i; }
    else if (k === '--window-seconds') { a.windowSeconds = Number(v); ++i; }
    else if (k === '--warmup-seconds') { a.warmupSeconds = Number(v); ++i; }
    else if (k.startsWith('--')) throw new Error(`unknown option '${k}'`);
    else rest.push(k);
  }
  if (rest.length !== 1 || !a.dims) throw new Error('usage: ort_bench.js MODEL.onnx --dims C,H,W');
  a.model = rest[0];
  return a;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const s = await ort.InferenceSession.create(a.model, {
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const results = {};
  for (const batch of a.batches) {
    const dims = [batch, ...a.dims];
    const data = new Float32Array(dims.reduce((x, y) => x * y, 1));
    let seed = 12345;
    for (let i = 0; i < data.length; ++i) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      data[i] = (2 * seed) / 2147483648 - 1;
    }
    const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, dims) };
    const call = () => s.run(feeds);
    for (let n = 0, end = now() + a.warmupSeconds; n < 5 || now() < end; ++n) await call();
    const perCall = [];
    for (let w = 0; w < a.windows; ++w) {
      let n = 0, elapsed = 0;
      const t0 = now();
      do {
        await call();
        ++n;
        elapsed = now() - t0;
      } while (elapsed < a.windowSeconds);
      perCall.push(elapsed / n);
    }
    results[batch === 1 ? 'latency' : 'infer'] = {
      batch, seconds_per_call: perCall, ms_per_call: median(perCall) * 1e3,
    };
  }
  const version = require('onnxruntime-node/package.json').version;
  process.stdout.write(JSON.stringify({ env: { ort: version, threads: a.threads }, results }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort_bench: ${e.message}\n`);
  process.exit(1);
});
