#!/usr/bin/env bash
# Builds the OCI image layout build/dist/oci (tag latest) without a daemon:
# a Debian bookworm minbase root made by debootstrap with what `sky` runs
# (ssh client, rsync, CA certificates) and what SkyPilot's Helm chart runs
# in the image unmodified (tini as the init, /bin/sh tools, socat and nc
# for in-cluster Kubernetes, kubectl, logrotate for its sidecar); the
# payload unpacked once into /opt/sky-native, which the image's
# SKY_NATIVE_CACHE_DIR names, and /usr/bin/sky-native the launcher without
# its payload (strip_payload.py), which runs that tree in place: a
# container never unpacks and runs with a read-only root. `sky`, `python3`
# and `python` are links to sky-native (it picks its mode from its name),
# `pip` runs `python3 -m pip`. A user `sky` (uid 1000) for non-root runs.
#
# Reproducible: the same base root and single file give the same digest
# (fixed mtimes at SOURCE_DATE_EPOCH, no history, fixed creation time, the
# files debootstrap makes differently on each run removed or emptied).
# debootstrap itself fetches whatever the mirror serves on the day it runs,
# so the base root is made once into WORK/image-base and reused (made again
# when the package list changes: debian_root.sh).
#
# usage: build_image.sh SINGLE_FILE WORK_DIR OUT_LAYOUT
set -euo pipefail
# Absolute: a relative SKY_NATIVE_CACHE_DIR is ignored (as XDG says).
FILE=$(realpath "$1") WORK=$(realpath -m "$2") OUT=$(realpath -m "$3")
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")" log -1 --format=%ct)}
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
BASE=$WORK/image-base
ROOT=$WORK/image-root

# kubernetes-client is Debian's kubectl (PyPI has none).
PACKAGES=openssh-client,rsync,ca-certificates,tini,socat,netcat-openbsd,logrotate,kubernetes-client

"$(dirname "$0")/debian_root.sh" bookworm "$BASE" "$PACKAGES"

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
mkdir -p "$ROOT/opt/sky-native"
SKY_NATIVE_CACHE_DIR=$ROOT/opt/sky-native "$FILE" --version >/dev/null
# The copy must be the image's, not one in a fallback of the build machine.
ls -d "$ROOT"/opt/sky-native/[0-9]*-* >/dev/null || { echo "not unpacked into $ROOT/opt/sky-native" >&2; exit 1; }
rm -f "$ROOT/opt/sky-native/.lock"
# The payload once: the launcher alone, reading the tree above in place.
"$(dirname "$0")/strip_payload.py" "$FILE" "$ROOT/usr/bin/sky-native"
SKY_NATIVE_CACHE_DIR=$ROOT/opt/sky-native "$ROOT/usr/bin/sky-native" --version >/dev/null
for name in sky python3 python aws; do ln -sf sky-native "$ROOT/usr/bin/$name"; done
# The chart's pre-deploy hook runs `pip install`: into the user site of
# PYTHONUSERBASE (below), which PEP 668's marker would refuse without
# PIP_BREAK_SYSTEM_PACKAGES; the tree itself stays read-only and intact.
printf '#!/bin/sh\nexec python3 -m pip "$@"\n' > "$ROOT/usr/bin/pip"
chmod 0755 "$ROOT/usr/bin/pip"
# An unprivileged user for runAsUser: 1000 (its HOME is a volume's mount
# point); /root traversable, so that uid 1000 reaches the chart's volumes
# under it (/root/.sky, /root/.ssh, /root/sky_logs).
echo 'sky:x:1000:1000:sky:/home/sky:/bin/sh' >> "$ROOT/etc/passwd"
echo 'sky:x:1000:' >> "$ROOT/etc/group"
echo 'sky:*:19000:0:99999:7:::' >> "$ROOT/etc/shadow"
mkdir -p "$ROOT/home/sky"
chown 1000:1000 "$ROOT/home/sky"
chmod 0711 "$ROOT/root"
find "$ROOT" -depth -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -rf "$OUT"
umoci init --layout "$OUT"
umoci new --image "$OUT:latest"
umoci insert --no-history --image "$OUT:latest" "$ROOT" /
umoci config --no-history --image "$OUT:latest" --created "$CREATED" \
  --author sky-native --os linux --architecture amd64 \
  --config.entrypoint /usr/bin/tini --config.entrypoint -- \
  --config.entrypoint /usr/bin/sky-native \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env SKY_NATIVE_CACHE_DIR=/opt/sky-native \
  --config.env PYTHONUSERBASE=/tmp/sky-native-user \
  --config.env PIP_USER=1 \
  --config.env PIP_BREAK_SYSTEM_PACKAGES=1 \
  --config.workingdir /
umoci gc --layout "$OUT"
echo "$OUT: $(jq -r '.manifests[0].digest' "$OUT/index.json" 2>/dev/null || cat "$OUT/index.json")"
