# tests/train/mpi/mpi_common.sh - sourced by the mpirun tests: arguments,
# MNIST data, mpirun settings and the readers of a run's outputs.
# usage of every test: TEST.sh SOURCE_DIR TAPEFLOW_BINARY WORK_DIR
set -euo pipefail
src=$1 bin=$2 work=$3
if ! command -v mpirun >/dev/null 2>&1; then
  echo "skipped: mpirun is not installed (Debian: openmpi-bin libopenmpi-dev)"
  exit 77
fi
mkdir -p "$work"
data=$work/data/mnist
bash "$src/scripts/fetch-data.sh" "$work/data" > "$work/fetch.log" 2>&1 || {
  cat "$work/fetch.log"; exit 1; }
# Root needs Open MPI's consent; ranks beyond the cores need
# --oversubscribe, and then one OpenMP thread each. On SIGINT mpirun sends
# the ranks SIGTERM after odls_base_sigkill_timeout seconds and SIGKILL as
# long again: 3 s (not 1) leave a loaded machine time for the checkpoint.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_odls_base_sigkill_timeout=3
run_mpi() {
  local n=$1
  shift
  mpirun --oversubscribe --bind-to none -np "$n" -x OMP_NUM_THREADS=1 "$@"
}
fail() { echo "FAIL: $*"; exit 1; }

# "step loss" of every training record of a run's metrics.jsonl.
losses() {
  grep -v test_accuracy "$1/metrics.jsonl" |
    sed -n 's/.*"step":\([0-9]*\).*"loss":\([^,}]*\).*/\1 \2/p'
}
# The test accuracy (percent) printed at the end of a run's log.
accuracy() { sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$1"; }

# Fails unless the losses of steps FIRST..LAST of two runs differ by less
# than TOL relatively; prints the largest difference.
compare_losses() {
  local a=$1 b=$2 first=$3 last=$4 tol=$5
  join <(losses "$a") <(losses "$b") | awk -v f="$first" -v l="$last" -v t="$tol" \
    -v what="$a vs $b" '
    $1 >= f && $1 <= l { n++; d = $2 - $3; if (d < 0) d = -d; r = d / ($2 < 0 ? -$2 : $2)
                         if (r > worst) { worst = r; at = $1 } }
    END { if (n != l - f + 1) { print what ": " n " common steps, expected " l - f + 1; exit 1 }
          printf "%s: steps %d-%d, largest relative loss difference %.3g (step %d)\n",
                 what, f, l, worst, at
          exit worst < t ? 0 : 1 }'
}

# Rounding, not the distribution, once SGD has amplified it: fails unless
# the losses of run MANY stay as close to those of run ONE over steps
# FIRST..LAST as those of run REF do (ONE with only its summation order
# changed, e.g. another thread count): the largest relative difference
# ONE-MANY must be at most 3 times the largest ONE-REF, or TOL.
compare_drift() {
  local one=$1 many=$2 ref=$3 first=$4 last=$5 tol=$6
  join <(losses "$one") <(losses "$many") | join - <(losses "$ref") |
    awk -v f="$first" -v l="$last" -v t="$tol" -v what="$one vs $many (reference $ref)" '
    function rel(x, y) { x = (x - y) / (y < 0 ? -y : y); return x < 0 ? -x : x }
    $1 >= f && $1 <= l { n++; m = rel($3, $2); r = rel($4, $2)
                         if (m > dm) { dm = m; at = $1 }; if (r > dr) dr = r }
    END { if (n != l - f + 1) { print what ": " n " common steps, expected " l - f + 1; exit 1 }
          lim = 3 * dr > t ? 3 * dr : t
          printf "%s: steps %d-%d, largest relative loss difference %.3g (step %d), " \
                 "reference %.3g, limit %.3g\n", what, f, l, dm, at, dr, lim
          exit dm <= lim ? 0 : 1 }'
}
