#!/usr/bin/env bash
# Checkpoints and resume under mpirun (lenet5_keras, one epoch of 124
# steps, global batch 64):
# - 2 ranks, resumed on 2 ranks from the step-40 checkpoint with no
#   --model (rank 0 sends the graph the checkpoint stores), end with the
#   same losses and the same final checkpoint as the uninterrupted run, bit
#   for bit;
# - resumed on 4 ranks (and on 1 process) from there, they continue from the
#   same global step and data position (not bit-exact: close losses);
# - SIGINT to mpirun (Ctrl-C) stops every rank after the same step with
#   one checkpoint, and resuming that finishes bit for bit as the full run.
source "$(dirname "$0")/mpi_common.sh"
model=(--model "$src/models/lenet5_keras.pbtxt")
common=(train "${model[@]}" --solver "$src/models/lenet5_keras.solver.pbtxt" --data "$data"
        --epochs 1 --log-every 1 --threads 1 --checkpoint-every 40 --keep 100)
full=$work/resume-full
rm -rf "$work"/resume-*
run_mpi 2 "$bin" "${common[@]}" --out "$full" > "$full.log"
last=$(sed -n 's/^checkpoint: .*ckpt-\([0-9]*\)\.tfck$/\1/p' "$full.log")
[ -n "$last" ] || fail "no final checkpoint in $full.log"
[ -f "$full/ckpt-40.tfck" ] || fail "no step-40 checkpoint"

# A copy of the full run as it was after step 40.
at40() {
  rm -rf "$1"
  mkdir -p "$1"
  cp "$full/ckpt-40.tfck" "$full/solver.pbtxt" "$1/"
  grep -v test_accuracy "$full/metrics.jsonl" | awk -F'"step":' '{ split($2, a, ","); if (a[1] <= 40) print }' > "$1/metrics.jsonl"
  echo "ckpt-40.tfck" > "$1/latest"
}

# Same N, the graph of the checkpoint: bit for bit.
at40 "$work/resume-same"
run_mpi 2 "$bin" train --resume "$work/resume-same" > "$work/resume-same.log"
grep -q "^resuming the graph stored in $work/resume-same/ckpt-40.tfck on" "$work/resume-same.log" ||
  fail "resumed on 2 ranks: not with the graph of the checkpoint"
cmp "$full/ckpt-$last.tfck" "$work/resume-same/ckpt-$last.tfck" ||
  fail "resumed on 2 ranks: final checkpoint differs from the uninterrupted run"
compare_losses "$full" "$work/resume-same" 41 "$last" 1e-30 ||
  fail "resumed on 2 ranks: losses differ"

# Other N: same position, close trajectory, a note that it is not bit-exact.
for n in 4 1; do
  at40 "$work/resume-$n"
  if [ "$n" = 1 ]; then
    OMP_NUM_THREADS=1 "$bin" train "${model[@]}" --resume "$work/resume-$n" > "$work/resume-$n.log"
  else
    run_mpi "$n" "$bin" train "${model[@]}" --resume "$work/resume-$n" > "$work/resume-$n.log"
  fi
  grep -q "written by 2 ranks, resuming on $n: .*not bit-exact" "$work/resume-$n.log" ||
    fail "resumed on $n: no note about the other rank count"
  [ -f "$work/resume-$n/ckpt-$last.tfck" ] || fail "resumed on $n: no checkpoint at step $last"
  compare_losses "$full" "$work/resume-$n" 41 50 1e-3 || fail "resumed on $n: losses diverge"
done

# Ctrl-C: SIGINT to mpirun, which sends every rank SIGTERM (after
# odls_base_sigkill_timeout seconds, 3 here) and exits 1 itself whatever
# the ranks return. One checkpoint, every rank stopped after the same step.
# Rank 0 is slowed down from step 40 on (50 ms a step, the same numbers),
# so that the 3 s pass before the run's end on a fast machine too.
sig=$work/resume-sig
# (mpirun itself in the background, so that $! is its pid)
TAPEFLOW_INJECT_FAULT=0:40:slow \
mpirun --oversubscribe --bind-to none -np 2 -x OMP_NUM_THREADS=1 -x TAPEFLOW_INJECT_FAULT \
  "$bin" "${common[@]}" --out "$sig" > "$sig.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do  # until the step-40 checkpoint
  [ -f "$sig/ckpt-40.tfck" ] && break
  sleep 0.1
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
cat "$sig.log" | tail -5
[ "$status" != 0 ] || fail "mpirun exited 0 after SIGINT"
! grep -qiE "corrupt|Signal: (Aborted|Segmentation)|AddressSanitizer" "$sig.log" ||
  fail "a rank crashed while stopping"
[ "$(grep -c "every rank stops after this step" "$sig.log")" = 2 ] ||
  fail "expected both ranks to report the stop request"
grep -q "^interrupted: resume with --resume" "$sig.log" || fail "no 'interrupted' line"
stopped=$(sed -n 's/^checkpoint: .*ckpt-\([0-9]*\)\.tfck$/\1/p' "$sig.log")
[ -n "$stopped" ] && [ "$stopped" -gt 40 ] && [ "$stopped" -lt "$last" ] ||
  fail "expected one checkpoint between steps 40 and $last, found '$stopped'"
# One checkpoint at the stop besides those of --checkpoint-every 40.
expected=$((stopped / 40 + (stopped % 40 != 0)))
[ "$(ls "$sig" | grep -c '^ckpt-.*\.tfck$')" = "$expected" ] ||
  fail "expected $expected checkpoints up to ckpt-$stopped: $(ls "$sig")"
grep -qx "ckpt-$stopped.tfck" "$sig/latest" || fail "latest is not ckpt-$stopped"
echo "interrupted after step $stopped"
run_mpi 2 "$bin" train "${model[@]}" --resume "$sig" > "$sig-resumed.log"
cmp "$full/ckpt-$last.tfck" "$sig/ckpt-$last.tfck" ||
  fail "interrupted and resumed: final checkpoint differs from the uninterrupted run"
echo "ok"
