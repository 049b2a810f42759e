#!/usr/bin/env bash
# tapeflow vs PyTorch on the two LeNet-5s and vgg_cifar of models/: training
# images/s (batch 64), inference images/s (batch 256), batch-1 latency and
# peak memory in alternating rounds, then training step time against batch
# size (1 to 512); prints Markdown tables. ONNX Runtime (onnxruntime-node,
# CPU, on the files `tapeflow export` writes) is a third column for the
# inference rows; without it the column says why.
#
#   bash bench/compare/run.sh [--rounds N] [--threads N] [--build-dir DIR]
#                             [--max-wait SECONDS] [--json-out FILE]
#                             [--retries N] [--quiet-cpus X] [--windows N]
#                             [--window-seconds S] [--warmup-seconds S]
#                             [--scaling-seconds S]
#
# As root it installs what is missing (Debian's python3-torch, OpenBLAS and
# GNU time; tapeflow's own build dependencies through scripts/install-deps.sh)
# and makes OpenBLAS the system BLAS, so that PyTorch's Linear layers do not
# run on the reference BLAS. It then builds tapeflow_bench (Release) in
# --build-dir (default: build), with the tapeflow CLI that exports the models,
# installs onnxruntime-node into --build-dir/ort (tests/onnx/install-ort.sh,
# npm; skipped when that fails) and runs bench/compare/compare.py, which starts
# each timing run on a quiet machine (waiting up to --max-wait seconds,
# default 1200) and re-runs those that other processes disturbed. PyTorch is
# only used here: it is never a build or test dependency of tapeflow.
set -euo pipefail
cd "$(dirname "$0")/../.."

command_line="bash bench/compare/run.sh${*:+ $*}"
rounds=3 threads=2 build_dir=build json_out=""
max_wait=1200 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --max-wait) max_wait="$2"; shift 2 ;;
    --json-out) json_out="$2"; shift 2 ;;
    --retries|--quiet-cpus|--max-foreign-cpus|--windows|--window-seconds|--warmup-seconds|--scaling-seconds)
      extra+=("$1" "$2"); shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# 1. PyTorch (Debian's, for /usr/bin/python3), OpenBLAS, GNU time.
missing=()
for p in python3-torch libopenblas0-openmp time; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! is_root; then
    echo "run.sh: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# 2. OpenBLAS as libblas.so.3 and liblapack.so.3 (Debian's alternatives).
multiarch="$(gcc -print-multiarch 2>/dev/null || true)"
multiarch="${multiarch:-$(uname -m)-linux-gnu}"
for lib in libblas.so.3 liblapack.so.3; do
  alt="$lib-$multiarch"
  want="/usr/lib/$multiarch/openblas-openmp/$lib"
  have="$(readlink -f "/etc/alternatives/$alt" 2>/dev/null || true)"
  if [ "$have" != "$want" ]; then
    if is_root && [ -e "$want" ]; then
      say "selecting $want for $alt"
      update-alternatives --set "$alt" "$want" >&2
    else
      say "warning: $alt is ${have:-unset}, not $want (run as root to select OpenBLAS)"
    fi
  fi
done

# 3. tapeflow_bench, Release, up to date with the working tree.
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  bash scripts/install-deps.sh >&2
  say "configuring $build_dir (Release)"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >&2
fi
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
if grep -q '^TAPEFLOW_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  echo "run.sh: $build_dir is a sanitizer build; pass --build-dir with a Release build" >&2
  exit 1
fi
if grep -q '^TAPEFLOW_BUILD_BENCH:BOOL=OFF' "$build_dir/CMakeCache.txt"; then
  echo "run.sh: $build_dir has TAPEFLOW_BUILD_BENCH=OFF; pass another --build-dir" >&2
  exit 1
fi
case "$build_type" in
  Release|RelWithDebInfo) ;;
  *) say "warning: $build_dir is a '$build_type' build; timings need Release" ;;
esac
say "building tapeflow_bench and tapeflow_cli in $build_dir"
cmake --build "$build_dir" -j"$(nproc)" --target tapeflow_bench tapeflow_cli >&2
bench="$build_dir/bench/tapeflow_bench"

# 4. ONNX Runtime for the third column (best effort: the column says why it
# is empty when this fails).
bash tests/onnx/install-ort.sh "$build_dir/ort" >&2 || say "warning: ONNX Runtime not installed"

# 5. Measure.
args=(--bench "$bench" --rounds "$rounds" --threads "$threads" --max-wait "$max_wait"
      --build-type "$build_type" --command "$command_line"
      --cli "$build_dir/tools/tapeflow" --ort-modules "$build_dir/ort/node_modules")
[ -n "$json_out" ] && args+=(--json-out "$json_out")
args+=("${extra[@]}")
exec /usr/bin/python3 bench/compare/compare.py "${args[@]}"
