#!/usr/bin/env bash
# The clouds of the payload, from the single file as from the venv: with
# credentials that parse but grant nothing (packaging/fake_credentials.sh:
# AWS keys no account has, a kubeconfig naming an unreachable API server, a
# GCP service-account file, an SSH node pool and a Slurm cluster on
# loopback), `sky check` and `sky launch --dryrun` for each infra print, under
# the single file, what the venv's `sky` (same SkyPilot, same extras)
# prints.
#
# usage: packaging/test_clouds.sh DIST_DIR VENV [WORK_DIR]
#
# How both are run, and why:
# - One network namespace (loopback only: every cloud is unreachable, the
#   same way for both) and, per command, a PID namespace: the API server each
#   `sky` starts dies with it, and never meets another one on this host.
# - One HOME path, restored from the same credentials before each command,
#   so the paths SkyPilot prints are the same for both.
# - The same PATH for both: links to this host's /usr/bin and /usr/sbin
#   without Python (neither side may borrow the host's interpreter), without
#   Google's Cloud SDK (gcloud, gsutil, bq) and kubectl. This host has
#   /usr/bin/gcloud; SkyPilot's GCP check runs `gcloud auth list`, whose
#   answer depends on the SDK's own Python and state, not on SkyPilot: with
#   it, the comparison would test the host's SDK. Without it, both stop at
#   "Missing `gcloud` cli dependency" after importing google-auth and
#   googleapiclient (what the gcp extra brings). kubectl is not used by the
#   checks or the dry runs. Then each side's `aws` (SkyPilot's AWS check runs
#   it from PATH): the venv's console script, and for the single file a link
#   named aws to it (a program named aws runs the payload's awscli).
# - What legitimately differs is normalised: where the Python files are
#   (the venv's site-packages and /usr/lib/python3.11 against the single
#   file's unpacked copy, in tracebacks SkyPilot prints), the `sky` program's
#   own path, timestamps (HH:MM:SS, dates) and request ids. Nothing else.
set -euo pipefail
if [[ -z ${SKY_NATIVE_CLOUDS_NAMESPACE:-} ]]; then
  exec unshare --net --mount --propagation private \
    env SKY_NATIVE_CLOUDS_NAMESPACE=1 "$0" "$@"
fi
ip link set lo up
DIST=$(cd "${1:?usage: test_clouds.sh DIST_DIR VENV [WORK_DIR]}" && pwd)
VENV=$(cd "${2:?usage: test_clouds.sh DIST_DIR VENV [WORK_DIR]}" && pwd)
WORK=${3:-$DIST/../clouds-test}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
FILE=$DIST/sky-native
REPO=$(cd "$(dirname "$0")/.." && pwd)
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# -- the shared PATH, and each side's aws --------------------------------------
TOOLS=$WORK/tools
rm -rf "$TOOLS"
mkdir -p "$TOOLS/venv" "$TOOLS/file"
# shellcheck source=packaging/host_tools.sh
source "$REPO/packaging/host_tools.sh"
host_tools "$TOOLS/shared"
ln -s "$VENV/bin/aws" "$TOOLS/venv/aws"
ln -s "$FILE" "$TOOLS/file/aws"

# -- the credentials, and a tiny task -------------------------------------------
PRISTINE=$WORK/home-pristine
HOME_DIR=$WORK/home
rm -rf "$PRISTINE"
CRED_ENV=$("$REPO/packaging/fake_credentials.sh" "$PRISTINE" | tr '\n' ' ')
CRED_ENV=${CRED_ENV//$PRISTINE/$HOME_DIR}
cat >"$WORK/task.yaml" <<'EOF'
resources:
  cpus: 1+
run: echo hello
EOF

# The commands compared, one per line: a name, then sky's arguments.
# (A named cluster: SkyPilot would make up a random name.)
LAUNCH="launch --dryrun -y -c sky-native-clouds"
COMMANDS="check check
launch-k8s $LAUNCH --infra k8s $WORK/task.yaml
launch-aws $LAUNCH --infra aws $WORK/task.yaml
launch-gcp $LAUNCH --infra gcp $WORK/task.yaml
ssh-up ssh up --infra sky-native-fake-pool
launch-ssh $LAUNCH --infra ssh/sky-native-fake-pool $WORK/task.yaml
launch-slurm $LAUNCH --infra slurm/sky-native-fake-slurm $WORK/task.yaml"

# run_side SIDE: every command as SIDE (venv|file), in one fresh PID
# namespace (one API server, stopped with it), HOME restored from the
# credentials first; NAME's output and "exit: N" in $WORK/SIDE/NAME.
run_side() {
  local side=$1 sky
  case $side in
    venv) sky=$VENV/bin/sky ;;
    file) sky=$FILE ;;
  esac
  rm -rf "${HOME_DIR:?}" "${WORK:?}/$side"
  cp -a "$PRISTINE" "$HOME_DIR"
  mkdir -p "$WORK/$side"
  # shellcheck disable=SC2016,SC2086
  env -i HOME="$HOME_DIR" USER=root LANG=C.UTF-8 TERM=dumb \
    PATH="$TOOLS/$side:$TOOLS/shared" SKY_NATIVE_CACHE_DIR="$WORK/cache" $CRED_ENV \
    SKY="$sky" OUT="$WORK/$side" COMMANDS="$COMMANDS" \
    unshare --pid --fork --mount-proc bash -c '
      while read -r name args; do
        "$SKY" $args </dev/null >"$OUT/$name" 2>&1
        echo "exit: $?" >>"$OUT/$name"
      done <<<"$COMMANDS"'
}

# What legitimately differs between the two sides.
normalise() {
  sed -E -e "s#$WORK/cache/[^/]+/lib/python3/dist-packages/#SITE/#g" \
    -e "s#$VENV/lib/python3.11/site-packages/#SITE/#g" \
    -e "s#$WORK/cache/[^/]+/lib/python3.11/#STDLIB/#g" -e "s#/usr/lib/python3.11/#STDLIB/#g" \
    -e "s#$FILE#SKY#g" -e "s#$VENV/bin/sky#SKY#g" \
    -e 's#[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?#TIME#g' \
    -e 's#\b[0-9]{2}:[0-9]{2}:[0-9]{2}\b#TIME#g' \
    -e 's#\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b#REQUEST#g' "$1"
}

# section FILE CLOUD: CLOUD's lines of a `sky check` output.
section() {
  awk -v cloud="$2" '/^(\x1b\[[0-9;]*m)*  [A-Za-z]+: (enabled|disabled)/ {
      inside = index($0, "  " cloud ": ") > 0 } inside' "$1"
}

run_side venv
run_side file
while read -r name args; do
  if ! diff -u <(normalise "$WORK/venv/$name") <(normalise "$WORK/file/$name"); then
    fail "sky $args: the single file differs from the venv"
  fi
  sed 's/^/    /' "$WORK/file/$name"
  ok "sky ${args% "$WORK/task.yaml"}: the single file prints what the venv prints"
done <<<"$COMMANDS"
# The outputs went as far as the network: each cloud of the extras imported
# its libraries, read the credentials and met the unreachable endpoint.
CHECK=$WORK/file/check
expect() {  # expect CLOUD TEXT
  section "$CHECK" "$1" | grep -qF -- "$2" || fail "sky check, $1: no \"$2\": $(section "$CHECK" "$1")"
  ok "sky check, $1: $2"
}
expect AWS 'Could not connect to the endpoint URL: "https://sts.us-east-1.amazonaws.com/"'
expect GCP 'Missing `gcloud` cli dependency'
expect Kubernetes 'sky-native-fake: '
expect Kubernetes 'Failed to communicate with the cluster'
expect SSH 'No SSH Node Pools are up'
expect Slurm 'ssh: connect to host 127.0.0.1 port'
grep -qF 'ssh: connect to host 127.0.0.1 port 22: Connection refused' "$WORK/file/ssh-up" ||
  fail "sky ssh up: $(cat "$WORK/file/ssh-up")"
ok "sky ssh up: the node pool's host refused the connection"
echo "test_clouds: $passed passed"
