#!/usr/bin/env bash
# Builds tapeflow with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (every report fatal) in build-asan, without the benchmarks, and runs the
# whole test suite under them. Leak reports from oneDNN's and OpenMP's own
# caches are suppressed by tests/sanitizer/lsan.supp (by library, never ours).
# usage: scripts/sanitize.sh [extra ctest arguments, e.g. -R Checkpoint]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CCACHE_BASEDIR=$root  # clones elsewhere share the cache
# TAPEFLOW_FUZZ=ON adds coverage instrumentation (the tests run as they
# would without it): the libraries then compile exactly as in build-fuzz
# (scripts/fuzz.sh), so each one's objects come from ccache in the other.
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTAPEFLOW_SANITIZE=ON -DTAPEFLOW_FUZZ=ON -DTAPEFLOW_BUILD_BENCH=OFF -DTAPEFLOW_WERROR=ON \
  > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
cmake --build build-asan -j"$(nproc)" >> build-asan.log 2>&1 || { tail -50 build-asan.log; exit 1; }
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0
# The install test links a consumer project against the (sanitized) static
# libraries without the sanitizer runtime; it runs in the normal build.
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E '^Install\.' "$@"
