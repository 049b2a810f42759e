#!/usr/bin/env bash
# scripts/mpi-scaling.sh - the measured part of the README's scaling table:
# for both LeNet-5s, `tapeflow profile` (global batch 64, real MNIST batches)
# as 1 process x 2 threads and as 2 ranks x 1 thread under mpirun; prints
# images/s, the step time and, for 2 ranks, the allreduce and the wait for
# the slower rank per step. Needs a build with MPI and data/mnist
# (scripts/fetch-data.sh).
# usage: scripts/mpi-scaling.sh [TAPEFLOW_BINARY] [DATA_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/tools/tapeflow} data=${2:-data/mnist} steps=${3:-60}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
row() {  # MODEL CONFIG LOG
  awk -v m="$1" -v c="$2" '
    /^throughput:/ { ips = $2 }
    /^total \(uninstrumented\)/ { step = $3 }
    /^allreduce / { ar = $2 }
    /^wait for ranks/ { wait = $4 }
    END { printf "| %s | %s | %s | %s | %s | %s |\n", m, c, ips, step,
                 ar == "" ? "-" : ar, wait == "" ? "-" : wait }' "$3"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "| model | ranks x threads | images/s | step ms | allreduce ms | wait ms |"
echo "|---|---|---|---|---|---|"
for model in lenet5_keras lenet5; do
  common=(profile "models/$model.pbtxt" --solver "models/$model.solver.pbtxt" --batch 64
          --data "$data" --steps "$steps" --peak-size 0)
  log=$(mktemp)
  OMP_NUM_THREADS=1 "$bin" "${common[@]}" --threads 1 > "$log"
  row "$model" "1 x 1" "$log"
  OMP_NUM_THREADS=2 "$bin" "${common[@]}" --threads 2 > "$log"
  row "$model" "1 x 2" "$log"
  mpirun --bind-to none -np 2 -x OMP_NUM_THREADS=1 "$bin" "${common[@]}" --threads 1 > "$log"
  row "$model" "2 x 1" "$log"
  rm -f "$log"
done
