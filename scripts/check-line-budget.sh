#!/usr/bin/env bash
# Fails when a source file is over its line budget (STYLE.md C10, C13):
#   ops/*.cpp                        one op per file      330 lines
#   tests/**/*.cpp                   test sources         900 lines
#   every header (*.h), and any other source file under
#   core/ ops/ (ops/internal/, op_kit.h, op_list.def, ...) frontends/
#   train/ (train/data/ too) tools/ bench/ tests/        800 lines
# Only source and build files count (C++, proto, op lists, CMake, scripts);
# data (.pbtxt graphs, images, JSON, ...) never does, nor generated files
# (*.pb.h, *.pb.cc, or "@generated" / "DO NOT EDIT" in the first lines).
# Lists every offender with its line count and budget; exit 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."

# The files git knows (tracked, or new and not ignored); every file outside
# a git checkout.
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- "$@"
  else
    find "$@" -type f -print0 2>/dev/null || true
  fi
}

is_source() {
  case "$1" in
    *.pb.h | *.pb.cc | *.pb.cpp) return 1 ;;
    *.h | *.hpp | *.cpp | *.cc | *.c | *.inc | *.def | *.proto) ;;
    *.cmake | */CMakeLists.txt | CMakeLists.txt | *.sh | *.py | *.js) ;;
    *) return 1 ;;
  esac
  local top
  top=$(head -n 5 -- "$1")
  [[ $top != *@generated* && $top != *"DO NOT EDIT"* ]]
}

# The budget of a path, or nothing when none applies.
budget_of() {
  case "$1" in
    ops/*/*) echo 800 ;;
    ops/*.cpp) echo 330 ;;
    tests/*.cpp) echo 900 ;;
    core/* | ops/* | frontends/* | train/* | tools/* | bench/* | tests/*)
      echo 800 ;;
  esac
}

checked=0
offenders=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue  # deleted in the working tree
  budget=$(budget_of "$f")
  [ -n "$budget" ] || continue
  is_source "$f" || continue
  checked=$((checked + 1))
  lines=$(wc -l <"$f")
  if [ "$lines" -gt "$budget" ]; then
    offenders+=("$f: $lines lines (budget $budget)")
  fi
done < <(list_files core frontends train tools ops bench tests)

if [ "${#offenders[@]}" -gt 0 ]; then
  echo "line budget: ${#offenders[@]} file(s) over budget:" >&2
  printf '  %s\n' "${offenders[@]}" | sort >&2
  echo "split them along their sections (STYLE.md C13)" >&2
  exit 1
fi
echo "line budget: ok ($checked files checked)"
