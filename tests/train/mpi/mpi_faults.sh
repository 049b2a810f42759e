#!/usr/bin/env bash
# Faults under mpirun (lenet5_keras, 2 ranks): bad input on one rank, a rank
# that dies and a rank that hangs each stop every rank with one error naming
# the rank, without hanging, and the last good checkpoint stays resumable;
# --check-replicas passes on a healthy run; a batch that does not split over
# the ranks is an error naming both numbers. TAPEFLOW_INJECT_FAULT
# (train/distributed/fault_injection.h) injects the faults.
source "$(dirname "$0")/mpi_common.sh"
model=(--model "$src/models/lenet5_keras.pbtxt")
common=(train "${model[@]}" --solver "$src/models/lenet5_keras.solver.pbtxt" --data "$data"
        --epochs 1 --threads 1 --checkpoint-every 10 --keep 100)
rm -rf "$work"/fault-*

# expect_stop NAME FAULT EXIT_MIN: runs with the fault, checks the exit.
expect_stop() {
  local name=$1 fault=$2
  local status=0
  shift 2
  TAPEFLOW_INJECT_FAULT=$fault timeout 300 mpirun --oversubscribe --bind-to none -np 2 \
    -x OMP_NUM_THREADS=1 -x TAPEFLOW_INJECT_FAULT "$bin" "${common[@]}" "$@" \
    --out "$work/fault-$name" > "$work/fault-$name.log" 2>&1 || status=$?
  echo "--- $name: exit $status"
  grep -v '^step\|^epoch\|^ *[0-9]' "$work/fault-$name.log" | head -20
  [ "$status" != 0 ] || fail "$name: exit status 0"
  [ "$status" != 124 ] || fail "$name: mpirun hung (killed by timeout)"
}

# Bad input on rank 1 at step 15: every rank stops, one error line naming
# rank 1 and what it found, exit 2 (bad input), checkpoint 10 kept.
expect_stop error 1:15:error
grep -q "rank 1: error: injected fault at step 15" "$work/fault-error.log" ||
  fail "error: no line naming rank 1 and the fault"
[ "$(grep -c 'injected fault' "$work/fault-error.log")" = 1 ] ||
  fail "error: the error was printed more than once"
grep -q "exited on signal\|MPI_ABORT" "$work/fault-error.log" &&
  fail "error: an agreed error should end every rank cleanly, not abort"
[ -f "$work/fault-error/ckpt-10.tfck" ] || fail "error: checkpoint 10 lost"

# Rank 1 dies at step 15: mpirun ends the job and names the process,
# "[[JOB,1],1]" being rank 1, and its exit status.
expect_stop exit 1:15:exit
grep -Eq "Process name: \[\[[0-9]+,[0-9]+\],1\]" "$work/fault-exit.log" ||
  fail "exit: the dead rank is not named"

# Rank 1 hangs at step 15: rank 0's allreduce times out after 5 s and
# stops every rank.
expect_stop hang 1:15:hang --collective-timeout 5
grep -q "rank 0: error: allreduce of the gradients did not complete within 5 s" \
  "$work/fault-hang.log" || fail "hang: no timeout error"

# The last good checkpoint of each stays and resumes.
for name in error exit hang; do
  grep -q "^ckpt-10.tfck" "$work/fault-$name/latest" || fail "$name: latest is not ckpt-10"
done
run_mpi 2 "$bin" train "${model[@]}" --resume "$work/fault-exit" --epochs 1 \
  > "$work/fault-resumed.log" || fail "resume after a dead rank failed"
grep -q "^test accuracy" "$work/fault-resumed.log" || fail "resumed run did not finish"

# A healthy run passes the replica check every 5 steps.
run_mpi 2 "$bin" "${common[@]}" --check-replicas 5 --out "$work/fault-replicas" \
  > "$work/fault-replicas.log" || fail "--check-replicas failed on a healthy run"

# A global batch that does not split over 4 ranks: one error naming both.
status=0
run_mpi 4 "$bin" "${common[@]}" --batch 30 --out "$work/fault-batch" \
  > "$work/fault-batch.log" 2>&1 || status=$?
cat "$work/fault-batch.log"
[ "$status" = 2 ] || fail "batch 30 on 4 ranks: exit $status, expected 2"
[ "$(grep -c 'batch size 30 does not split evenly over 4 ranks' "$work/fault-batch.log")" = 1 ] ||
  fail "batch 30 on 4 ranks: expected one error naming 30 and 4"
echo "ok"
