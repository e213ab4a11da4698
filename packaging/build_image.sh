#!/usr/bin/env bash
# Builds the OCI image layout build/dist/oci (tag latest) without a daemon:
# a Debian bookworm minbase root made by debootstrap with what `sky` runs
# (ssh client, rsync, CA certificates), the single file as
# /usr/bin/sky-native, already unpacked into /opt/sky-native, which the
# image's SKY_NATIVE_CACHE_DIR names: a container never unpacks and runs
# with a read-only root.
#
# Reproducible: the same base root and single file give the same digest
# (fixed mtimes at SOURCE_DATE_EPOCH, no history, fixed creation time, the
# files debootstrap makes differently on each run removed or emptied).
# debootstrap itself fetches whatever the mirror serves on the day it runs,
# so the base root is made once into WORK/image-base and reused.
#
# usage: build_image.sh SINGLE_FILE WORK_DIR OUT_LAYOUT
set -euo pipefail
# Absolute: a relative SKY_NATIVE_CACHE_DIR is ignored (as XDG says).
FILE=$(realpath "$1") WORK=$(realpath -m "$2") OUT=$(realpath -m "$3")
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")" log -1 --format=%ct)}
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
BASE=$WORK/image-base
ROOT=$WORK/image-root

if [[ ! -f $BASE/.complete ]]; then
  rm -rf "$BASE"
  debootstrap --variant=minbase --include=openssh-client,rsync,ca-certificates \
    bookworm "$BASE" "$MIRROR"
  touch "$BASE/.complete"
fi

rm -rf "$ROOT"
cp -a "$BASE" "$ROOT"
rm -f "$ROOT/.complete"
# What differs between two debootstrap runs and nothing at run time needs.
rm -rf "$ROOT"/var/cache/apt/* "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/log/* \
  "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/debootstrap "$ROOT"/tmp/* \
  "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old
: > "$ROOT/etc/machine-id"
# What a container runtime usually mounts, for those that do not: SkyPilot
# binds its API server to "localhost"; multiprocessing needs /dev/shm.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$ROOT/etc/hosts"
mkdir -p "$ROOT/dev/shm"
install -m 0755 "$FILE" "$ROOT/usr/bin/sky-native"
mkdir -p "$ROOT/opt/sky-native"
SKY_NATIVE_CACHE_DIR=$ROOT/opt/sky-native "$ROOT/usr/bin/sky-native" --version >/dev/null
# The copy must be the image's, not one in a fallback of the build machine.
ls -d "$ROOT"/opt/sky-native/[0-9]*-* >/dev/null || { echo "not unpacked into $ROOT/opt/sky-native" >&2; exit 1; }
rm -f "$ROOT/opt/sky-native/.lock"
find "$ROOT" -depth -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -rf "$OUT"
umoci init --layout "$OUT"
umoci new --image "$OUT:latest"
umoci insert --no-history --image "$OUT:latest" "$ROOT" /
umoci config --no-history --image "$OUT:latest" --created "$CREATED" \
  --author sky-native --os linux --architecture amd64 \
  --config.entrypoint /usr/bin/sky-native \
  --config.env PATH=/usr/local/bin:/usr/bin:/bin \
  --config.env SKY_NATIVE_CACHE_DIR=/opt/sky-native \
  --config.workingdir /
umoci gc --layout "$OUT"
echo "$OUT: $(jq -r '.manifests[0].digest' "$OUT/index.json" 2>/dev/null || cat "$OUT/index.json")"
