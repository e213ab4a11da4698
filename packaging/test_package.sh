#!/usr/bin/env bash
# make package-test: the single file, the image and the .deb, each run in an
# empty root (a private mount and network namespace, chroot) holding only
# what it needs: the file, glibc's runtime libraries, /proc, /tmp, /dev/null
# (subprocess redirects to it), /dev/shm (multiprocessing), /etc/hosts (SkyPilot's API server binds
# "localhost") and a HOME.
set -euo pipefail
# Everything runs in a private mount, network and PID namespace: mounts
# vanish with it, the API servers started here never meet the host's, and
# the `sky api stop` steps (which end every API server process they can see)
# see only this namespace's; whatever is left running ends with it.
if [[ -z ${SKY_NATIVE_TEST_NAMESPACE:-} ]]; then
  exec unshare -mn --pid --fork --kill-child --mount-proc --propagation private \
    env SKY_NATIVE_TEST_NAMESPACE=1 "$0" "$@"
fi
ip link set lo up
# Whatever still runs chrooted in the test roots (an API server a step
# left) is stopped before a root's mounts go; at the end the PID namespace
# ends whatever is left.
stop_leftovers() {
  local root dir
  for pid in /proc/[0-9]*; do
    root=$(readlink "$pid/root" 2>/dev/null) || continue
    for dir in "$(realpath "$WORK")" ${DISTRIBUTION_ROOTS:-}; do
      [[ $root == "$(realpath "$dir")" || $root == "$(realpath "$dir")"/* ]] &&
        kill -9 "${pid#/proc/}" 2>/dev/null
    done
  done
  return 0
}
DIST=${1:?usage: test_package.sh DIST_DIR WORK_DIR VENV}
WORK=${2:?usage: test_package.sh DIST_DIR WORK_DIR VENV}
VENV=${3:?usage: test_package.sh DIST_DIR WORK_DIR VENV}
FILE=$DIST/sky-native
GLIBC_LIBS="ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1
  libutil.so.1 libresolv.so.2"
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# An empty root at $1 with glibc and the single file as /sky-native.
make_root() {
  local root=$1
  rm -rf "$root"
  mkdir -p "$root"/{lib/x86_64-linux-gnu,lib64,proc,tmp,dev,home/user}
  chmod 1777 "$root/tmp"
  for lib in $GLIBC_LIBS; do cp -L "/lib/x86_64-linux-gnu/$lib" "$root/lib/x86_64-linux-gnu/"; done
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
  touch "$root/dev/null"
  mkdir -p "$root/dev/shm"  # multiprocessing's semaphores (SkyPilot's executor)
  # SkyPilot binds its API server to "localhost": resolving it needs this.
  mkdir -p "$root/etc"
  echo "127.0.0.1 localhost" > "$root/etc/hosts"
}

# Runs "$@" chrooted into $1 with a clean environment (+ EXTRA_ENV).
in_root() {
  local root=$1; shift
  # shellcheck disable=SC2086
  env -i HOME=/home/user USER=user PATH=/usr/bin:/bin ${EXTRA_ENV:-} /usr/sbin/chroot "$root" "$@"
}

# proc and /dev/null into a root (in this script's private mount namespace).
mount_basics() {
  mount -t proc proc "$1/proc"
  mount --bind /dev/null "$1/dev/null"
  mount -t tmpfs -o mode=1777 tmpfs "$1/dev/shm"
}

# -- 1. the single file alone ------------------------------------------------
ROOT=$WORK/root
make_root "$ROOT"
cp "$FILE" "$ROOT/sky-native"
mount_basics "$ROOT"
if ldd "$FILE" | grep -v -E 'linux-vdso|ld-linux|lib(c|m|pthread|dl|rt|util|resolv)\.so' | grep -q .; then
  fail "the single file needs more than glibc: $(ldd "$FILE")"
fi
ok "the single file needs glibc only"
version=$(in_root "$ROOT" /sky-native --version)
[[ $version == *"0.14.1"* ]] || fail "--version: $version"
ok "--version in an empty root: $version"
# Every shared object of the copy finds its libraries inside the root.
copy=$(ls -d "$ROOT"/home/user/.cache/sky-native/*-*)
missing=$(find "$copy" -name '*.so*' -type f -print0 |
  xargs -0 -n 50 chroot "$ROOT" /lib64/ld-linux-x86-64.so.2 --list 2>&1 |
  grep -c 'not found' || true)
[[ $missing == 0 ]] || fail "$missing libraries not found inside the root"
ok "every .so of the copy resolves in the empty root"
info=$(in_root "$ROOT" /sky-native --native-info) || fail "--native-info: $info"
grep -q "copy:.*intact" <<<"$info" || fail "--native-info: $info"
ok "--native-info: intact"
in_root "$ROOT" /sky-native -c 'import sky.client.cli, sky.cli, ssl, sqlite3, ctypes, lzma, bz2' ||
  fail "-c import"
ok "-c imports SkyPilot's CLI modules"
# Every package of the payload with extension modules (stripped of debug
# info, RUNPATHs set at build time) imports and runs.
in_root "$ROOT" /sky-native -c '
import _cffi_backend, aiohttp._http_parser, asyncpg.protocol, bcrypt, charset_normalizer.md
import cryptography.hazmat.bindings._rust, frozenlist._frozenlist, greenlet, httptools, ijson
import markupsafe._speedups, multidict._multidict, nacl.bindings, orjson, pendulum, propcache
import psutil, psycopg2, pydantic_core, rpds, setproctitle, sqlalchemy.engine._row_cy, uvloop
import watchfiles, wcwidth._wcwidth_c, websockets.speedups, yaml._yaml, yarl._quoting_c, numpy, pandas
assert numpy.linalg.inv(numpy.eye(3))[0, 0] == 1 and len(pandas.DataFrame({"a": [1]})) == 1
assert bcrypt.checkpw(b"x", bcrypt.hashpw(b"x", bcrypt.gensalt(4)))
' || fail "-c importing the extension modules"
ok "-c imports every package with extension modules (numpy, pandas, cryptography, ...)"
in_root "$ROOT" /sky-native -m pip --version >/dev/null || fail "-m pip"
ok "-m pip"
# The API server outlives the first CLI; the second status is answered by it.
out=$( (in_root "$ROOT" /sky-native status; echo "rc=$?"; sleep 1
  in_root "$ROOT" /sky-native api status; in_root "$ROOT" /sky-native status; echo "rc=$?"
  in_root "$ROOT" /sky-native api stop) 2>&1) || fail "status: $out"
echo "$out" | sed 's/^/    /'
[[ $(grep -c "rc=0" <<<"$out") == 2 ]] || fail "status"
ok "status starts a local API server, a second status is answered by it, api stop"

# -- 1b. on older and newer glibcs ---------------------------------------------
# DISTRIBUTION_ROOTS: Debian roots from debootstrap (make glibc-root,
# trixie-root: bullseye's glibc 2.31, the oldest supported, and trixie's
# 2.41) with their own ssh, rsync and CA certificates. The single file runs
# in each as it is (mounted at /tmp/sky-native; /tmp, HOME and /dev/shm are
# this namespace's tmpfs, so the root is left as it was).
TLS_DIR=$WORK/tls
rm -rf "$TLS_DIR" && mkdir -p "$TLS_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" \
  2>/dev/null
openssl s_server -quiet -accept 127.0.0.1:8443 -cert "$TLS_DIR/cert.pem" -key "$TLS_DIR/key.pem" \
  -www >/dev/null 2>&1 &
TLS_SERVER=$!
# What the venv's SkyPilot gives for a call that raises inside the native
# code (a C++ exception through the unwinder linked into the launcher).
RAISES='from sky.utils import common_utils as c
try:
    c.read_last_n_lines("/nonexistent", 1)
except Exception as e:
    print(type(e).__name__, e)'
expected_raise=$("$VENV/bin/python" -c "$RAISES")
expected_sqlite=$("$VENV/bin/python" -c 'import sqlite3; print(sqlite3.sqlite_version)')
for DROOT_DIST in ${DISTRIBUTION_ROOTS:-}; do
  name=$(basename "$DROOT_DIST")
  mount -t proc proc "$DROOT_DIST/proc"
  mount -t tmpfs -o mode=1777 tmpfs "$DROOT_DIST/tmp"
  mount -t tmpfs tmpfs "$DROOT_DIST/home"
  mkdir -p "$DROOT_DIST/home/user" "$DROOT_DIST/dev/shm"
  mount -t tmpfs -o mode=1777 tmpfs "$DROOT_DIST/dev/shm"
  printf '127.0.0.1 localhost\n' > "$DROOT_DIST/tmp/hosts"
  touch "$DROOT_DIST/etc/hosts" "$DROOT_DIST/tmp/sky-native"
  mount --bind "$DROOT_DIST/tmp/hosts" "$DROOT_DIST/etc/hosts"
  mount --bind "$FILE" "$DROOT_DIST/tmp/sky-native"
  cp "$TLS_DIR/cert.pem" "$DROOT_DIST/tmp/ca.pem"
  glibc=$(in_root "$DROOT_DIST" getconf GNU_LIBC_VERSION)
  version=$(in_root "$DROOT_DIST" /tmp/sky-native --version) || fail "$name: --version: $version"
  ok "$name ($glibc): --version: $version"
  out=$(in_root "$DROOT_DIST" /tmp/sky-native -c '
import ctypes, os, sys
loaded, failed = 0, []
for directory, _, names in os.walk(sys.prefix):
    for name in names:
        path = os.path.join(directory, name)
        if ".so" not in name or os.path.islink(path) or "gpu_test" in path:
            continue  # runpod gpu_test needs the NVIDIA driver (build_single_file.py)
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        try:
            ctypes.CDLL(path, os.RTLD_NOW | os.RTLD_LOCAL)
            loaded += 1
        except OSError as e:
            failed.append(str(e))
print(loaded, *failed, sep="\n")') || fail "$name: loading the shared objects: $out"
  [[ $(wc -l <<<"$out") == 1 && $out -gt 100 ]] || fail "$name: shared objects that do not load: $out"
  ok "$name: every shared object of the copy ($out) loads with every symbol bound"
  out=$(in_root "$DROOT_DIST" /tmp/sky-native -c 'import sky, ssl, sqlite3, numpy, lzma, ctypes
import multiprocessing, multiprocessing.shared_memory as shm
segment = shm.SharedMemory(create=True, size=16); segment.close(); segment.unlink()
lock = multiprocessing.Lock(); lock.acquire(); lock.release()
assert numpy.linalg.inv(numpy.eye(2))[1, 1] == 1
print(sqlite3.sqlite_version)') || fail "$name: imports: $out"
  [[ $out == "$expected_sqlite" ]] || fail "$name: SQLite $out, the venv's $expected_sqlite"
  raised=$(in_root "$DROOT_DIST" /tmp/sky-native -c "$RAISES")
  [[ $raised == "$expected_raise" ]] ||
    fail "$name: a raising native call: $raised (venv: $expected_raise)"
  ok "$name: imports sky, ssl, sqlite3 ($out), numpy; a native call raises as in the venv"
  tls='import ssl, urllib.request
try:
    print(urllib.request.urlopen("https://localhost:8443/", timeout=10).status)
except urllib.error.URLError as e:
    print(type(e.reason).__name__)'
  out=$(EXTRA_ENV=SSL_CERT_FILE=/tmp/ca.pem in_root "$DROOT_DIST" /tmp/sky-native -c "$tls")
  out+=" $(in_root "$DROOT_DIST" /tmp/sky-native -c "$tls")"
  [[ $out == "200 SSLCertVerificationError" ]] || fail "$name: TLS: $out"
  ok "$name: TLS to a local server verified against SSL_CERT_FILE, refused against the root's store"
  out=$(in_root "$DROOT_DIST" /tmp/sky-native -c '
import os, subprocess
os.makedirs("/tmp/rsync-src"); open("/tmp/rsync-src/f", "w").write("x")
subprocess.run(["rsync", "-a", "/tmp/rsync-src/", "/tmp/rsync-dst/"], check=True)
print(open("/tmp/rsync-dst/f").read())
print(subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=True).stderr.split()[0])
print(subprocess.run(["sh", "-c", "echo ${LD_LIBRARY_PATH-unset} ${LD_PRELOAD-unset}"],
                     capture_output=True, text=True, check=True).stdout.strip())') ||
    fail "$name: ssh and rsync: $out"
  [[ $(sed -n 1p <<<"$out") == x && $(sed -n 2p <<<"$out") == OpenSSH_* &&
    $(sed -n 3p <<<"$out") == "unset unset" ]] || fail "$name: ssh and rsync: $out"
  ok "$name: the root's rsync and ssh run from the single file, no loader variables passed on"
  out=$( (in_root "$DROOT_DIST" /tmp/sky-native status; echo "rc=$?"
    in_root "$DROOT_DIST" /tmp/sky-native status; echo "rc=$?"
    in_root "$DROOT_DIST" /tmp/sky-native api stop) 2>&1) || fail "$name: status: $out"
  [[ $(grep -c "rc=0" <<<"$out") == 2 ]] || fail "$name: status: $out"
  ok "$name: status starts the API server from the single file, a second status, api stop"
  stop_leftovers
  umount "$DROOT_DIST/tmp/sky-native" "$DROOT_DIST/etc/hosts" "$DROOT_DIST/dev/shm" \
    "$DROOT_DIST/home" "$DROOT_DIST/tmp" "$DROOT_DIST/proc"
done
kill "$TLS_SERVER"

# -- 2. cache safety -----------------------------------------------------------
CACHE=/home/user/cache
# Two first runs at once.
export EXTRA_ENV="SKY_NATIVE_CACHE_DIR=$CACHE"
in_root "$ROOT" /sky-native --version > "$WORK/a" & first=$!
in_root "$ROOT" /sky-native --version > "$WORK/b" & second=$!
wait $first || fail "first of two parallel first runs"
wait $second || fail "second of two parallel first runs"
cmp "$WORK/a" "$WORK/b" || fail "parallel first runs differ"
out=$(ls -A "$ROOT$CACHE")
[[ $(grep -vc '^\.lock$' <<<"$out") == 1 ]] || fail "parallel first runs left: $out"
ok "two first runs at once both succeed, one copy"
# A first run killed halfway: nothing that looks complete, the next run works.
killed=
for _ in 1 2 3 4 5; do
  rm -rf "$ROOT$CACHE"
  # A simple command, so $! is the pid sky-native ends up with (env and
  # chroot exec), not a subshell's.
  # shellcheck disable=SC2086
  env -i HOME=/home/user USER=user PATH=/usr/bin:/bin $EXTRA_ENV /usr/sbin/chroot "$ROOT" \
    /sky-native --version >/dev/null & pid=$!
  until ls -d "$ROOT$CACHE"/.unpack-*/lib/python3.11 >/dev/null 2>&1 || ! kill -0 $pid 2>/dev/null; do
    sleep 0.02
  done
  if kill -9 $pid 2>/dev/null; then killed=1; fi
  wait $pid || true
  [[ -n $killed ]] && break  # else it finished before it could be killed: again
done
[[ -n $killed ]] || fail "no first run could be killed halfway"
out=$(ls -A "$ROOT$CACHE")
[[ $(grep -vc '^\.\(lock\|unpack-.*\)$' <<<"$out") == 0 ]] ||
  fail "a killed run left a complete-looking copy: $out"
in_root "$ROOT" /sky-native --version >/dev/null || fail "run after a killed first run"
out=$(ls -A "$ROOT$CACHE")
[[ $(grep -c '^\.unpack-' <<<"$out") == 0 ]] || fail "leftover: $out"
ok "a killed first run leaves no complete copy; the next run unpacks and cleans up"
# Damage, detection, repair, and removal of the replaced copy.
copy=$(ls -d "$ROOT$CACHE"/0*-* "$ROOT$CACHE"/[0-9]*-* 2>/dev/null | head -1)
rm "$copy/lib/python3/dist-packages/sky/__init__.py"
echo '# changed' >> "$copy/lib/python3.11/json/__init__.py"
set +e
out=$(in_root "$ROOT" /sky-native --native-info 2>&1)
rc=$?
set -e
[[ $rc != 0 ]] || fail "--native-info exits 0 on a damaged copy"
grep -q "missing: lib/python3/dist-packages/sky/__init__.py" <<<"$out" || fail "$out"
grep -q "changed: lib/python3.11/json/__init__.py" <<<"$out" || fail "$out"
ok "--native-info reports a damaged copy and exits $rc"
in_root "$ROOT" /sky-native --native-repair
in_root "$ROOT" /sky-native --native-info >/dev/null ||
  fail "still damaged after --native-repair"
ls -d "$ROOT$CACHE"/.old-* >/dev/null || fail "no replaced copy kept"
ok "--native-repair swaps in a verified copy"
out=$(in_root "$ROOT" /sky-native --native-clean)
grep -q "removed: .*/\.old-" <<<"$out" || fail "--native-clean: $out"
ls -d "$ROOT$CACHE"/[0-9]*-* >/dev/null || fail "--native-clean removed the current copy"
ok "--native-clean removes the replaced copy, keeps the current one"
# A read-only and a noexec cache location: the documented fallback.
mkdir -p "$ROOT/mnt/cache" "$ROOT/run/user"
chmod 700 "$ROOT/run/user"
for how in "mount -o bind,ro $ROOT/mnt $ROOT/mnt" "mount -t tmpfs -o noexec tmpfs $ROOT/mnt"; do
  $how
  out=$(EXTRA_ENV="SKY_NATIVE_CACHE_DIR=/mnt/cache XDG_RUNTIME_DIR=/run/user" \
    in_root "$ROOT" /sky-native -c "import sky, sys; print(sys.prefix)") || fail "$how: $out"
  umount "$ROOT/mnt"
  [[ $out == /run/user/sky-native/* ]] || fail "$how: copy in $out"
  ok "cache location under '${how%% $ROOT*}': falls back to \$XDG_RUNTIME_DIR/sky-native"
done
unset EXTRA_ENV
rm -rf "$ROOT/run"

# -- 2b. trust on a shared machine ---------------------------------------------
# Another local user (a uid of nobody's, 4242) squats /tmp/sky-native-0
# before root's first use of it; the preferred root (under /proc) cannot
# hold a copy, so that fallback is the candidate.
trust_checks() {
  local other=4242 copy squat out rc name
  copy=$(ls -d "$ROOT"/home/user/.cache/sky-native/[0-9]*-*)
  name=${copy##*/}
  squat=$ROOT/tmp/sky-native-0
  # A copy of theirs, with a .pth that leaves a mark (root's copy, moved
  # there and given away for the test, then taken back: no 300 MB copying).
  rm -rf "$squat" "$ROOT/tmp/planted-ran"
  mkdir "$squat"
  mv "$copy" "$squat/"
  echo 'import os; open("/tmp/planted-ran", "w").close()' > "$squat/$name/lib/python3/dist-packages/planted.pth"
  chown -R "$other:$other" "$squat"
  set +e
  out=$(EXTRA_ENV="SKY_NATIVE_CACHE_DIR=/proc/sky-native" in_root "$ROOT" /sky-native --version 2>&1)
  rc=$?
  set -e
  [[ ! -e $ROOT/tmp/planted-ran ]] || fail "a squatted copy's .pth ran: $out"
  [[ $rc != 0 ]] || fail "a squatted root was used: $out"
  grep -q "refused: /tmp/sky-native-0: owned by uid $other" <<<"$out" || fail "no refusal: $out"
  ok "a copy in a /tmp/sky-native-UID another user made is refused, with the reason"
  # The same copy behind a link they put in /tmp.
  mv "$squat" "$ROOT/tmp/theirs"
  ln -s /tmp/theirs "$squat"
  chown -h "$other:$other" "$squat"
  set +e
  out=$(EXTRA_ENV="SKY_NATIVE_CACHE_DIR=/proc/sky-native" in_root "$ROOT" /sky-native --version 2>&1)
  set -e
  [[ ! -e $ROOT/tmp/planted-ran ]] || fail "a linked copy's .pth ran: $out"
  grep -q "refused: /tmp/sky-native-0: a symbolic link in a shared directory" <<<"$out" ||
    fail "no refusal of the link: $out"
  ok "a /tmp/sky-native-UID link to another user's copy is refused"
  rm "$ROOT/tmp/theirs/$name/lib/python3/dist-packages/planted.pth"
  chown -R 0:0 "$ROOT/tmp/theirs/$name"
  mv "$ROOT/tmp/theirs/$name" "$copy"
  # --native-clean in a squatted root with .lock a link to a file of root's.
  rm -rf "$squat" "$ROOT/tmp/theirs" "$ROOT/home/user/clobbered"
  mkdir "$squat"
  ln -s /home/user/clobbered "$squat/.lock"
  mkdir "$squat/0.0.0-0000000000000000"
  chown -R -h "$other:$other" "$squat"
  out=$(EXTRA_ENV="SKY_NATIVE_CACHE_DIR=$CACHE" in_root "$ROOT" /sky-native --native-clean 2>&1) ||
    fail "--native-clean: $out"
  [[ ! -e $ROOT/home/user/clobbered ]] || fail "--native-clean followed the squatted .lock: $out"
  [[ -d $squat/0.0.0-0000000000000000 ]] || fail "--native-clean removed another user's file: $out"
  grep -q "not cleaned (refused): /tmp/sky-native-0: owned by uid $other" <<<"$out" || fail "$out"
  ok "--native-clean leaves a squatted root alone and says so"
  rm -rf "$squat"
  # A file added to the copy: --native-info names it and exits 1.
  touch "$copy/lib/python3/dist-packages/added.pth"
  set +e
  out=$(in_root "$ROOT" /sky-native --native-info 2>&1)
  rc=$?
  set -e
  rm "$copy/lib/python3/dist-packages/added.pth"
  [[ $rc == 1 ]] || fail "--native-info exits $rc with a file added to the copy"
  grep -q "unlisted: lib/python3/dist-packages/added.pth" <<<"$out" || fail "$out"
  ok "--native-info reports a file the manifest does not list and exits 1"
  # A yaml.py beside the single file never runs in sky mode.
  echo 'open("/tmp/planted-ran", "w").close()' > "$ROOT/yaml.py"
  out=$(in_root "$ROOT" /sky-native status --help 2>&1) || fail "status --help: $out"
  rm "$ROOT/yaml.py"
  [[ ! -e $ROOT/tmp/planted-ran ]] || fail "the yaml.py beside the single file ran"
  ok "a yaml.py beside the single file does not run on status --help"
  # A preferred root too small for the copy: the next root takes it, once.
  mkdir -p "$ROOT/mnt/small" "$ROOT/run/user"
  chmod 700 "$ROOT/run/user"
  mount -t tmpfs -o size=1m tmpfs "$ROOT/mnt/small"
  local env="SKY_NATIVE_CACHE_DIR=/mnt/small/cache XDG_RUNTIME_DIR=/run/user"
  out=$(EXTRA_ENV=$env in_root "$ROOT" /sky-native --version 2>&1) || fail "full root: $out"
  grep -q "/mnt/small/cache could not hold the copy; /run/user/sky-native holds it" <<<"$out" ||
    fail "full root, first start: $out"
  out=$(EXTRA_ENV=$env in_root "$ROOT" /sky-native --version 2>&1) || fail "full root: $out"
  [[ $out != *sky-native:* ]] || fail "full root, second start: $out"
  [[ -z $(ls -A "$ROOT/mnt/small/cache" | grep -v '^\.lock$') ]] || fail "left in the full root"
  ls "$ROOT/run/user/sky-native/.failed-roots-$name" >/dev/null || fail "nothing remembered"
  umount "$ROOT/mnt/small"
  rm -rf "$ROOT/run"
  ok "a full preferred root is remembered for the build; stderr says once which root took the copy"
}
trust_checks

# -- 3. the OCI image, unpacked, read-only root --------------------------------
if [[ -d $DIST/oci ]]; then
  BUNDLE=$WORK/bundle
  rm -rf "$BUNDLE"
  umoci unpack --image "$DIST/oci:latest" "$BUNDLE" >/dev/null
  IMG=$BUNDLE/rootfs
  mkdir -p "$IMG/home/user"
  # The image's environment, as a runtime would set it (HOME aside).
  EXTRA_ENV=$(jq -r '.process.env[] | select(startswith("HOME=") | not)' "$BUNDLE/config.json" |
    tr '\n' ' ')
  export EXTRA_ENV
  mount --bind "$IMG" "$IMG"
  mount -o remount,bind,ro "$IMG"
  mount -t tmpfs tmpfs "$IMG/tmp"
  mount -t tmpfs tmpfs "$IMG/home/user"
  mount_basics "$IMG"
  out=$(in_root "$IMG" /bin/sh -c 'touch /x 2>/dev/null && echo writable;
    sky-native --version && sky-native --native-info | grep copy: && sky-native status;
    sky-native status && sky-native api stop' 2>&1) || fail "image: $out"
  echo "$out" | sed 's/^/    /'
  grep -q writable <<<"$out" && fail "the image root is writable"
  grep -q "copy:  *$(jq -r '.process.env[]' "$BUNDLE/config.json" |
    sed -n 's/^SKY_NATIVE_CACHE_DIR=//p')/.*intact" <<<"$out" || fail "image: not its own copy: $out"
  ok "the image runs --version, --native-info, status twice, api stop with a read-only root"
  # The payload once: the image's launcher carries none and runs the tree;
  # without the tree it says so.
  launcher_size=$(stat -c %s "$IMG/usr/bin/sky-native")
  ((launcher_size < $(stat -c %s "$FILE") / 4)) || fail "the image's launcher is $launcher_size bytes"
  set +e
  out=$(in_root "$IMG" /bin/sh -c 'SKY_NATIVE_CACHE_DIR=/tmp/no-tree sky-native --version' 2>&1)
  rc=$?
  set -e
  [[ $rc == 1 && $out == *"carries no payload and its tree"*"is not installed in"* ]] ||
    fail "the image's launcher without its tree: rc=$rc $out"
  unset EXTRA_ENV
  ok "the image's launcher ($launcher_size bytes) has no payload; without its tree it exits 1: $out"
fi

# -- 4. the .deb, unpacked into an empty root ----------------------------------
debs=("$DIST"/sky-native_*_amd64.deb)
DEB=${debs[0]}
[[ -f $DEB ]] || fail "no .deb in $DIST"
DROOT=$WORK/deb-root
make_root "$DROOT"
dpkg -x "$DEB" "$DROOT"
mount_basics "$DROOT"
out=$(in_root "$DROOT" /usr/bin/sky-native --version) || fail ".deb: $out"
ok ".deb: dpkg -x into an empty root runs --version: $out"
deps=$(dpkg-deb -f "$DEB" Depends)
[[ $deps == "libc6 (>= 2.31)" ]] || fail ".deb depends on: $deps"
ok ".deb depends on: $deps"
# -- 5. the clouds of the payload: sky check and launch --dryrun against the
# venv's sky, with credentials that grant nothing (packaging/test_clouds.sh) --
out=$("$(dirname "$0")/test_clouds.sh" "$DIST" "$VENV" "$WORK/clouds" 2>&1) ||
  fail "clouds: $out"
grep '^ok ' <<<"$out" | sed 's/^/    /'
ok "the single file's clouds: sky check and launch --dryrun print what the venv's sky prints"

# -- the single file runs a real task on the local Slurm cluster --------------
# (tests/slurm; `make package-test` brings the cluster up and down): launch
# with a workdir and a file mount, logs, exec, queue, status, down, api stop,
# as the cluster's client (its own network and PID namespace, a test HOME).
slurm_launch_check() {
  local repo home out
  repo=$(cd "$(dirname "$0")/.." && pwd)
  home=$WORK/slurm-home
  rm -rf "$home"
  out=$(env -u VIRTUAL_ENV "$repo/tests/slurm/client.sh" "$home" \
    "$repo/tests/slurm/demo/run.sh" "$FILE" 2>&1) || fail "Slurm: $out"
  grep -q 'Hello from' <<<"$out" && grep -q 'Job finished (status: SUCCEEDED)' <<<"$out" &&
    grep -q 'exec on' <<<"$out" || fail "Slurm: $out"
  ok "the single file launches a task on the local Slurm cluster, logs, exec, queue, down"
}
slurm_launch_check

# -- 6. SkyPilot's Helm chart runs the image (test_chart.sh) -------------------
if [[ -d $DIST/oci ]]; then
  mode=${CHART_TEST:-quick}
  "$(dirname "$0")/test_chart.sh" "$DIST" "$WORK/chart" "$VENV" "$mode" ||
    fail "the chart test ($mode)"
  ok "SkyPilot's Helm chart runs the image ($mode)"
fi

echo "package-test: $passed passed"
