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
inc=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags-only-I tapeflow | sed 's/^-I//; s/ *$//')
[ -f "$inc/tapeflow.h" ] || { echo "pkg-config include dir $inc lacks tapeflow.h"; exit 1; }
echo "package ok: $(basename "$deb")"
