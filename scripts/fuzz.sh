#!/usr/bin/env bash
# Runs each libFuzzer harness of tests/fuzz for SECONDS (default 60) with
# -timeout=20 -rss_limit_mb=2560, as many at a time as there are cores. They are built with ASan and UBSan in the
# clang build, build-clang (scripts/build-clang.sh, built first if needed);
# the seed corpora are written each time. Fails on any crash, sanitizer
# report, timeout or out-of-memory; the input that did it is kept in
# build-clang/fuzz/artifacts/. Reproduce one with:
#   build-clang/tests/fuzz/<fuzzer> FILE
# usage: scripts/fuzz.sh [SECONDS] [FUZZER...]   (e.g. fuzz.sh 300 fuzz_idx)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-60}
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(fuzz_graph_text fuzz_graph_binary fuzz_idx
                                     fuzz_checkpoint fuzz_image fuzz_solver)

bash scripts/build-clang.sh  # the fuzzers are built there, with the tests

# Seeds: the text files of the repository, and generated binary files.
seeds=build-clang/fuzz/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{graph_text,solver}
for f in models/*.pbtxt tests/graphs/invalid/*.pbtxt; do
  case "$f" in
    *.solver.pbtxt) cp "$f" "$seeds/solver/" ;;
    *) cp "$f" "$seeds/graph_text/$(echo "$f" | tr / _)" ;;
  esac
done
build-clang/tests/fuzz/fuzz_make_seeds "$root" "$seeds"

export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p build-clang/fuzz/artifacts
# Runs one fuzzer for the given time; prints its summary (or why it failed)
# in one piece when it ends.
fuzz_one() {
  local f=$1 corpus=build-clang/fuzz/corpus/$1 log=build-clang/fuzz/$1.log
  mkdir -p "$corpus"
  if build-clang/tests/fuzz/"$f" -max_total_time="$secs" -timeout=20 \
       -rss_limit_mb=2560 -print_final_stats=1 \
       -artifact_prefix=build-clang/fuzz/artifacts/"$f"- \
       "$corpus" "$seeds/${f#fuzz_}" > "$log" 2>&1; then
    echo "fuzz: $f ran ${secs}s"$'\n'"$(grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$log" |
      tail -2 | sed 's/^/  /')"
  else
    echo "fuzz: $f FAILED (log: $log)"$'\n'"$(grep -E 'ERROR|SUMMARY|Test unit written' "$log" |
      head -5 | sed 's/^/  /')" >&2
    return 1
  fi
}
# One fuzzer per core at a time (TAPEFLOW_FUZZ_JOBS to change it), each for
# its full time: libFuzzer runs one thread.
jobs=${TAPEFLOW_FUZZ_JOBS:-$(nproc)}
echo "fuzz: ${#fuzzers[@]} fuzzers, ${secs}s each, $jobs at a time"
status=0
running=()
for f in "${fuzzers[@]}"; do
  fuzz_one "$f" &
  running+=($!)
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait "${running[0]}" || status=1
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do wait "$pid" || status=1; done
exit $status
