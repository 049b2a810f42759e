#!/usr/bin/env bash
# Builds the Debian package (cpack -G DEB), unpacks it with dpkg -x into a
# scratch directory and runs the packaged program from there: --version and
# a summary of the packaged LeNet-5 model. Checks the declared dependencies.
# usage: check_deb.sh BUILD_DIR
set -euo pipefail
build=$1 work=$1/deb-check
rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work/out") > "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
deb=$(ls "$work"/out/tapeflow_*.deb | head -1)
[ -f "$deb" ] || { echo "no .deb in $work/out"; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libdnnl libprotobuf libgomp; do
  case "$depends" in *"$lib"*) ;; *) echo "Depends lacks $lib"; exit 1 ;; esac
done
dpkg -x "$deb" "$work/root"
root=$work/root/usr
export LD_LIBRARY_PATH="$root/lib/x86_64-linux-gnu:$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Only the package's own files and the declared dependencies are used.
cd "$work"
"$root/bin/tapeflow" --version | tee "$work/version.txt"
grep -q '^tapeflow ' "$work/version.txt"
model=$root/share/tapeflow/models/lenet5_keras.pbtxt
[ -f "$model" ] || { echo "no $model in the package"; exit 1; }
"$root/bin/tapeflow" summary "$model" | tee "$work/summary.txt"
grep -q 'Total params: 1,631,080' "$work/summary.txt"
pc=$(find "$root" -name tapeflow.pc | head -1)
[ -n "$pc" ] || { echo "no tapeflow.pc in the package"; exit 1; }
# <tapeflow/tapeflow.h> and the "core/..." headers it includes must be found
# through pkg-config's include directories.
found_api=no found_core=no
for dir in $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags-only-I tapeflow); do
  dir=${dir#-I}
  [ -f "$dir/tapeflow/tapeflow.h" ] && found_api=yes
  [ -f "$dir/core/error.h" ] && [ -f "$dir/core/shape.h" ] && found_core=yes
done
[ $found_api = yes ] || { echo "pkg-config's include dirs lack tapeflow/tapeflow.h"; exit 1; }
[ $found_core = yes ] || { echo "pkg-config's include dirs lack core/error.h, core/shape.h"; exit 1; }
# A program outside the tree builds with pkg-config alone and runs.
src_dir=$(cd "$(dirname "$0")" && pwd)
export PKG_CONFIG_PATH=$(dirname "$pc")
# shellcheck disable=SC2046
g++ -o "$work/consumer" "$src_dir/main.cpp" $(pkg-config --cflags --libs tapeflow)
"$work/consumer" | tee "$work/consumer.txt"
[ -s "$work/consumer.txt" ] || { echo "the pkg-config consumer printed nothing"; exit 1; }
# The shared library (TAPEFLOW_SHARED, on by default) carries its SOVERSION
# and is what the pkg-config consumer loads.
so=$(find "$root" -name 'libtapeflow.so.*' | head -1)
if [ "${TAPEFLOW_SHARED:-ON}" = ON ] && [ -z "$so" ]; then
  echo "no libtapeflow.so.* in the package (TAPEFLOW_SHARED is ON)"; exit 1
fi
if [ -n "$so" ]; then
  soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "shared library: $(basename "$so") (SONAME $soname)"
  case "$soname" in libtapeflow.so.[0-9]*) ;; *) echo "bad SONAME '$soname'"; exit 1 ;; esac
  ldd "$work/consumer" | grep -q "$soname" || { echo "the consumer does not link $soname"; exit 1; }
fi
echo "package ok: $(basename "$deb")"
