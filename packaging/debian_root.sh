#!/usr/bin/env bash
# debian_root.sh RELEASE ROOT PACKAGES: a Debian RELEASE minbase root at
# ROOT with PACKAGES (comma-separated), made by debootstrap once and reused
# while the release and package list stay the same (debootstrap fetches
# whatever the mirror serves on the day it runs). The absolute symbolic
# links of its library directories are made relative, so that the root also
# serves as a compiler's --sysroot (packaging/glibc-floor/toolchain.cmake):
# the linker resolves them inside the root, not on the build machine.
set -euo pipefail
RELEASE=${1:?usage: debian_root.sh RELEASE ROOT PACKAGES}
ROOT=$(realpath -m "${2:?usage: debian_root.sh RELEASE ROOT PACKAGES}")
PACKAGES=${3:?usage: debian_root.sh RELEASE ROOT PACKAGES}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

[[ $(cat "$ROOT/.complete" 2>/dev/null) == "$RELEASE $PACKAGES" ]] && exit 0
rm -rf "$ROOT"
mkdir -p "$(dirname "$ROOT")"
debootstrap --variant=minbase --include="$PACKAGES" "$RELEASE" "$ROOT" "$MIRROR"
find "$ROOT/usr/lib" "$ROOT/usr/lib64" -type l -lname '/*' 2>/dev/null |
  while read -r link; do
    target="$ROOT$(readlink "$link")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$target")" "$link"
  done
echo "$RELEASE $PACKAGES" > "$ROOT/.complete"
