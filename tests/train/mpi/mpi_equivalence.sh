#!/usr/bin/env bash
# N ranks with global batch B follow one process with batch B: both
# shipped LeNet-5s, one epoch on the MNIST digits as one process and under
# mpirun with 2 and 4 ranks (one thread each). The losses of the first 50
# steps agree within 1e-4 (relative) and the test accuracies after the
# epoch within 0.2 points.
source "$(dirname "$0")/mpi_common.sh"
for model in lenet5_keras lenet5; do
  common=(train --model "$src/models/$model.pbtxt" --solver "$src/models/$model.solver.pbtxt"
          --data "$data" --epochs 1 --log-every 1 --threads 1)
  rm -rf "$work/eq-$model-"*
  OMP_NUM_THREADS=1 "$bin" "${common[@]}" --out "$work/eq-$model-1" > "$work/eq-$model-1.log"
  for n in 2 4; do
    run_mpi "$n" "$bin" "${common[@]}" --out "$work/eq-$model-$n" > "$work/eq-$model-$n.log"
    grep -q "data parallel: MPI .*, $n ranks" "$work/eq-$model-$n.log" ||
      fail "$model on $n ranks: no 'data parallel' line"
    compare_losses "$work/eq-$model-1" "$work/eq-$model-$n" 1 50 1e-4 ||
      fail "$model: $n ranks do not follow one process"
    a1=$(accuracy "$work/eq-$model-1.log") an=$(accuracy "$work/eq-$model-$n.log")
    [ -n "$a1" ] && [ -n "$an" ] || fail "$model: no test accuracy printed"
    awk -v a="$a1" -v b="$an" -v m="$model" -v n="$n" 'BEGIN {
      d = a - b; if (d < 0) d = -d
      printf "%s: test accuracy %.2f%% (1 process) vs %.2f%% (%d ranks)\n", m, a, b, n
      exit d <= 0.2 ? 0 : 1 }' || fail "$model: accuracies differ by more than 0.2 points"
    # Only rank 0 writes the run: one metrics file, one progress line per step.
    [ "$(grep -c '^test accuracy' "$work/eq-$model-$n.log")" = 1 ] ||
      fail "$model on $n ranks: the result was printed more than once"
  done
done
echo "ok"
