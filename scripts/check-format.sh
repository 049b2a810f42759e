#!/usr/bin/env bash
# Checks C++ formatting against .clang-format (clang-format --dry-run
# -Werror) and, with --tidy, runs clang-tidy (.clang-tidy) with the compile
# commands of a configured build.
#
#   scripts/check-format.sh                  every tracked C++ file
#   scripts/check-format.sh FILE...          only these files
#   scripts/check-format.sh --changed [REF]  files changed since REF (HEAD)
#   scripts/check-format.sh --list           print the files that would
#                                            change, one per line; no diffs
#   scripts/check-format.sh --tidy FILE...   also clang-tidy on the .cpp
#                                            files given (needs
#                                            build/compile_commands.json;
#                                            --build-dir DIR for another)
#   scripts/check-format.sh --fix FILE...    reformat the files in place
#
# Only C++ sources and headers are checked (*.cpp, *.h); generated protobuf
# files (*.pb.h, *.pb.cc) never are. Exit 0 when clean, 1 when a file needs
# formatting or clang-tidy reports a warning, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=${CLANG_FORMAT:-clang-format}
clang_tidy=${CLANG_TIDY:-clang-tidy}
build_dir=build
mode=check
tidy=0
changed_ref=""
files=()

while [ $# -gt 0 ]; do
  case "$1" in
    --tidy) tidy=1 ;;
    --fix) mode=fix ;;
    --list) mode=list ;;
    --build-dir) build_dir=$2; shift ;;
    --changed)
      changed_ref=HEAD
      if [ $# -gt 1 ] && [[ $2 != -* ]] && [ ! -f "$2" ]; then
        changed_ref=$2; shift
      fi ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-format: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1") ;;
  esac
  shift
done

command -v "$clang_format" >/dev/null ||
  { echo "check-format: $clang_format not found (apt-get install clang-format)" >&2; exit 2; }

is_cxx() {
  case "$1" in
    *.pb.h | *.pb.cc) return 1 ;;
    *.cpp | *.h) return 0 ;;
    *) return 1 ;;
  esac
}

candidates=()
if [ -n "$changed_ref" ]; then
  while IFS= read -r f; do candidates+=("$f"); done < <(
    { git diff --name-only --diff-filter=d "$changed_ref" --;
      git ls-files --others --exclude-standard; } | sort -u)
elif [ "${#files[@]}" -gt 0 ]; then
  candidates=("${files[@]}")
else
  while IFS= read -r -d '' f; do candidates+=("$f"); done < <(git ls-files -z)
fi

checked=()
for f in "${candidates[@]}"; do
  is_cxx "$f" || continue
  [ -f "$f" ] || { echo "check-format: no such file: $f" >&2; exit 2; }
  checked+=("$f")
done

status=0
if [ "$mode" = fix ]; then
  [ "${#checked[@]}" -eq 0 ] || "$clang_format" -i --style=file "${checked[@]}"
  echo "check-format: formatted ${#checked[@]} file(s)"
else
  bad=()
  for f in "${checked[@]}"; do
    if ! "$clang_format" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
      bad+=("$f")
      [ "$mode" = list ] || "$clang_format" --style=file --dry-run -Werror "$f" 2>&1 | head -n 20 >&2 || true
    fi
  done
  if [ "$mode" = list ]; then
    [ "${#bad[@]}" -eq 0 ] || printf '%s\n' "${bad[@]}"
  fi
  if [ "${#bad[@]}" -gt 0 ]; then
    echo "check-format: ${#bad[@]} of ${#checked[@]} file(s) need formatting (scripts/check-format.sh --fix FILE...)" >&2
    status=1
  else
    echo "check-format: ok (${#checked[@]} files)"
  fi
fi

if [ "$tidy" = 1 ]; then
  command -v "$clang_tidy" >/dev/null ||
    { echo "check-format: $clang_tidy not found (apt-get install clang-tidy)" >&2; exit 2; }
  [ -f "$build_dir/compile_commands.json" ] ||
    { echo "check-format: $build_dir/compile_commands.json missing (configure with cmake first)" >&2; exit 2; }
  sources=()
  for f in "${checked[@]}"; do
    case "$f" in *.cpp) sources+=("$f") ;; esac
  done
  if [ "${#sources[@]}" -gt 0 ]; then
    if ! "$clang_tidy" -p "$build_dir" --quiet "${sources[@]}"; then
      echo "check-format: clang-tidy reported problems" >&2
      status=1
    fi
  fi
fi
exit $status
