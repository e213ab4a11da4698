#!/usr/bin/env bash
# The image as SkyPilot's Helm chart runs it: the API server container of
# the chart (tests/testdata/helm-chart/api-server-container.json: its
# command, args, env, volumes, securityContext) run unmodified with runc
# from the unpacked layout, in a network namespace of its own joined to
# this script's by a veth pair (198.18.0.0/30, RFC 2544's benchmarking
# range: no real network uses it), every capability dropped, no new
# privileges, a read-only root and a writable /tmp (the chart's FIFO).
# A client on this side logs in to http://198.18.0.2:46580 and runs api
# info, status, check and launch --dryrun; the same commands against the
# venv's own `sky api start --deploy` in an equivalent namespace (same
# address, env, credentials and config) must print the same; the chart's
# logrotate sidecar rotates the server's log. Then: kill -9
# of the server and a restart on the same volumes (databases pass
# integrity_check, users and secrets kept), a uvicorn worker killed (the
# server recovers), 20 requests leave no zombie in the container, the
# image as uid 1000 with a pre-deploy hook that pip-installs an admin
# policy the server then runs, and skopeo's copy of the layout to dir:.
#
# usage: test_chart.sh DIST_DIR WORK_DIR VENV [quick]
# `quick` (make test's form) stops after the comparison with the venv.
set -euo pipefail
# A private mount and network namespace: the veth pairs, mounts and runc
# state vanish with it; nothing here can meet another API server.
if [[ -z ${SKY_NATIVE_CHART_NAMESPACE:-} ]]; then
  exec unshare -mn --propagation private env SKY_NATIVE_CHART_NAMESPACE=1 "$0" "$@"
fi
DIST=$(realpath "${1:?usage: test_chart.sh DIST_DIR WORK_DIR VENV [quick]}")
WORK=$(realpath -m "${2:?usage: test_chart.sh DIST_DIR WORK_DIR VENV [quick]}")
VENV=$(realpath "${3:?usage: test_chart.sh DIST_DIR WORK_DIR VENV [quick]}")
QUICK=${4:-}
REPO=$(cd "$(dirname "$0")/.." && pwd)
FIXTURE=$REPO/tests/testdata/helm-chart/api-server-container.json
HOST_ADDR=198.18.0.1 SERVER_ADDR=198.18.0.2 PORT=46580
ENDPOINT=http://$SERVER_ADDR:$PORT
RUNC_ROOT=$WORK/runc
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
figure() { echo "figure: $*"; }
ip link set lo up

cleanup() {
  local name
  for name in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
    runc --root "$RUNC_ROOT" delete -f "$name" >/dev/null 2>&1 || true
  done
  [[ -n ${VENV_NS_PID:-} ]] && kill -9 "$VENV_NS_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT

# The unpacked image is kept for the next run of the same layout (the
# test never writes into it: the root is read-only).
BUNDLE=$WORK/bundle
digest=$(jq -r '.manifests[0].digest' "$DIST/oci/index.json")
if [[ $(cat "$WORK/bundle.digest" 2>/dev/null) != "$digest" ]]; then
  rm -rf "$WORK"
  mkdir -p "$WORK"
  umoci unpack --image "$DIST/oci:latest" "$BUNDLE" >/dev/null
  cp "$BUNDLE/config.json" "$BUNDLE/config.json.image"
  echo "$digest" > "$WORK/bundle.digest"
fi
find "$WORK" -mindepth 1 -maxdepth 1 ! -name bundle ! -name bundle.digest -exec rm -rf {} +
mkdir -p "$RUNC_ROOT"
ROOTFS=$BUNDLE/rootfs

# -- volumes and credentials ---------------------------------------------------
# The chart's state volume (subPaths .sky, .ssh, sky_logs), its config
# volume, and credentials that parse but grant nothing, mounted where the
# chart mounts them (aws, kube, gcp); the venv server gets a copy of the
# same files in its HOME.
CREDS=$WORK/credentials
"$REPO/packaging/fake_credentials.sh" "$CREDS" >/dev/null
CONFIG_YAML='jobs:
  controller:
    resources:
      cpus: 2+
'
# A state volume: .sky, .ssh (with the credentials' node pool and key) and
# sky_logs; $2 is the config.yaml of the config volume.
make_volumes() {
  local dir=$1 config=$2 owner=${3:-0}
  rm -rf "$dir"
  mkdir -p "$dir"/{state/.sky,state/.ssh,state/sky_logs,config}
  cp -a "$CREDS/.sky/." "$dir/state/.sky/"
  cp -a "$CREDS/.ssh/." "$dir/state/.ssh/"
  printf '%s' "$config" > "$dir/config/config.yaml"
  chown -R "$owner:$owner" "$dir/state"
}

# jq's mounts for a volume dir made by make_volumes.
mounts_json() {
  local dir=$1
  jq -n --arg d "$dir" --arg c "$CREDS" '[
    {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]},
    {destination: "/root/.sky", type: "bind", source: "\($d)/state/.sky", options: ["rbind", "rw"]},
    {destination: "/root/.ssh", type: "bind", source: "\($d)/state/.ssh", options: ["rbind", "rw"]},
    {destination: "/root/sky_logs", type: "bind", source: "\($d)/state/sky_logs", options: ["rbind", "rw"]},
    {destination: "/var/skypilot/config", type: "bind", source: "\($d)/config", options: ["rbind", "ro"]},
    {destination: "/root/.aws", type: "bind", source: "\($c)/.aws", options: ["rbind", "ro"]},
    {destination: "/root/.kube", type: "bind", source: "\($c)/.kube", options: ["rbind", "ro"]},
    {destination: "/root/.slurm", type: "bind", source: "\($c)/.slurm", options: ["rbind", "ro"]},
    {destination: "/root/.config/gcloud", type: "bind", source: "\($c)/.config/gcloud", options: ["rbind", "ro"]},
    {destination: "/root/gcp-cred.json", type: "bind",
     source: "\($c)/.config/gcloud/sky-native-fake-service-account.json", options: ["rbind", "ro"]}]'
}

# The chart's env with what Kubernetes would fill in (requests of the
# default values, the pod's address) and GOOGLE_APPLICATION_CREDENTIALS
# (gcpCredentials.enabled), as NAME=VALUE lines.
chart_env() {
  jq -r --arg ip "$SERVER_ADDR" '.container.env[] |
    "\(.name)=\(if .name == "POD_IP" then $ip else .value end)"' "$FIXTURE"
  echo GOOGLE_APPLICATION_CREDENTIALS=/root/gcp-cred.json
}

# The chart's script with apiService.preDeployHook set to $1 (default: the
# chart's own default hook).
chart_script() {
  local hook=${1:-}
  jq -r '.container.args[2]' "$FIXTURE" | if [[ -n $hook ]]; then
    HOOK=$hook python3 -c '
import os, sys
script = sys.stdin.read()
start = script.index("# Run commands before deploying")
end = script.index("\n", script.index("# pip install git+")) + 1
sys.stdout.write(script[:start] + os.environ["HOOK"] + "\n" + script[end:])'
  else cat; fi
}

# Writes $BUNDLE/config.json for a container: volumes of $1, uid $2, the
# chart's command with hook $3, extra env lines $4.
write_config() {
  local dir=$1 uid=$2 hook=${3:-} extra_env=${4:-} env_json mounts args
  env_json=$({ jq -r '.process.env[] | select(startswith("HOME=") | not)' "$BUNDLE/config.json.image"
    echo HOME=/root; chart_env; if [[ -n $extra_env ]]; then echo "$extra_env"; fi; } |
    jq -R . | jq -s .)
  mounts=$(mounts_json "$dir")
  args=$(chart_script "$hook" | jq -Rs --argjson cmd "$(jq '.container.command' "$FIXTURE")" \
    '$cmd + ["/bin/sh", "-c", .]')
  # umoci's own mounts (proc, dev, sys, ...), the chart's volumes, no
  # capability, no new privileges, read-only root, a network namespace of
  # its own (no path: runc makes it; the veth goes in before start).
  jq --argjson env "$env_json" --argjson mounts "$mounts" --argjson args "$args" \
    --argjson uid "$uid" '
    .process.args = $args | .process.env = $env | .process.cwd = "/" |
    .process.terminal = false |
    .process.user = {uid: $uid, gid: $uid} |
    .process.capabilities = {bounding: [], effective: [], inheritable: [], permitted: [], ambient: []} |
    .process.noNewPrivileges = true |
    .process.rlimits = [] |
    .root.readonly = true |
    .mounts = ([.mounts[] | select(.destination != "/tmp")] + $mounts) |
    .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}]
  ' "$BUNDLE/config.json.image" > "$BUNDLE/config.json"
}

# Moves one end of a new veth pair into the network namespace of pid $1
# and gives both ends their addresses.
join_network() {
  local pid=$1
  ip link del veth-test 2>/dev/null || true
  ip link add veth-test type veth peer name veth-server
  ip link set veth-server netns "$pid"
  ip addr add "$HOST_ADDR/30" dev veth-test
  ip link set veth-test up
  nsenter -t "$pid" -n sh -c "ip link set lo up && ip addr add $SERVER_ADDR/30 dev veth-server &&
    ip link set veth-server up"
}

# Seconds until /api/health answers 200 (fails after 300 s: on a loaded
# machine uvicorn's supervisor takes workers that miss its 5 s ping while
# they import SkyPilot for dead and starts them again, venv or image).
wait_healthy() {
  local start=$EPOCHREALTIME
  for _ in $(seq 3000); do
    if curl -fsS -o /dev/null "$ENDPOINT/api/health" 2>/dev/null; then
      python3 -c "print(f'{$EPOCHREALTIME - $start:.1f}')"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Starts container $1 (config.json already written); prints its init pid.
start_container() {
  local name=$1 pid
  runc --root "$RUNC_ROOT" create --bundle "$BUNDLE" "$name" > "$WORK/$name.log" 2>&1 </dev/null ||
    fail "runc create: $(cat "$WORK/$name.log")"
  pid=$(runc --root "$RUNC_ROOT" state "$name" | jq -r .pid)
  join_network "$pid"
  runc --root "$RUNC_ROOT" start "$name"
  echo "$pid"
}
stop_container() {
  runc --root "$RUNC_ROOT" delete -f "$1" >/dev/null 2>&1 || true
}

# The processes of the PID namespace of pid $1 (their host pids).
namespace_pids() {
  local ns p
  ns=$(readlink "/proc/$1/ns/pid")
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$ns" ]] && echo "${p#/proc/}"
  done
  return 0
}
# Resident memory of those processes, in MiB, and their count.
namespace_memory() {
  local total=0 count=0 rss p
  for p in $(namespace_pids "$1"); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${rss:-0})) count=$((count + 1))
  done
  echo "$((total / 1024)) MiB in $count processes"
}

# The managed-job controllers the server started in the namespace of pid
# $1 (`sys.executable -u -msky.jobs.controller UUID`): "CLIENTS SERVERS
# FORKS", the clients SkyPilot recorded, the command servers they handed
# their controllers to, and those servers' children (docs/command-server.md).
served_controllers() {
  # shellcheck disable=SC2046  # one argument per pid
  python3 - $(namespace_pids "$1") <<'PY'
import sys
processes = {}
for pid in sys.argv[1:]:
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            argv = f.read().split(b'\0')
        with open(f'/proc/{pid}/stat') as f:
            parent = int(f.read().rsplit(')', 1)[1].split()[1])
    except (OSError, IndexError):
        continue
    processes[int(pid)] = (argv[1:3], parent)
clients = [p for p, (args, _) in processes.items() if args == [b'-u', b'-msky.jobs.controller']]
serving = [p for p, (args, _) in processes.items() if args == [b'--native-server', b'serve']]
servers = [p for p in serving if processes[p][1] not in serving]
forks = [p for p in serving if processes[p][1] in servers]
print(len(clients), len(servers), len(forks))
PY
}

# The client, on this side: the venv's sky with a HOME of its own.
CLIENT_HOME=$WORK/client-home
mkdir -p "$CLIENT_HOME"
client() {
  env -i HOME="$CLIENT_HOME" PATH="$VENV/bin:/usr/bin:/bin" LANG=C.UTF-8 "$VENV/bin/sky" "$@" 2>&1
}
# login, api info, status, check, launch --dryrun: their outputs and exit
# codes, into $1.
client_session() {
  local out=$1 cmd
  : > "$out"
  for cmd in "api login -e $ENDPOINT" "api info" "status" "check" \
    "launch --dryrun -y -c chart-test echo hi"; do
    # shellcheck disable=SC2086
    { echo "\$ sky $cmd"; client $cmd; echo "rc=$?"; } >> "$out" || true
  done
}

# -- 1. the chart's container, as root ----------------------------------------
make_volumes "$WORK/volumes" "$CONFIG_YAML"
write_config "$WORK/volumes" 0
start=$EPOCHREALTIME
pid=$(start_container chart)
healthy=$(wait_healthy) || fail "not healthy in 300 s: $(cat "$WORK/chart.log")"
ok "the chart's command, env, volumes under runc: healthy in ${healthy}s (all capabilities dropped, read-only root)"
figure "image (chart, runc): start to healthy ${healthy}s"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
[[ $caps == 0000000000000000 ]] || fail "effective capabilities $caps"
[[ $(awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo") == ro* ]] || fail "the root is not read-only"
[[ $(tr '\0' ' ' < "/proc/$pid/cmdline") == "tini -- /bin/sh -c "* ]] || fail "PID 1 is not tini"
ok "tini is PID 1 of the container, no capability, read-only root"
client_session "$WORK/image-session"
sed 's/^/    /' "$WORK/image-session"
sleep 5
figure "image (chart, runc): idle memory $(namespace_memory "$pid")"
clients=0 servers=0 forks=0
for _ in $(seq 240); do
  read -r clients servers forks < <(served_controllers "$pid") || true
  ((clients > 0 && servers == 1 && forks == clients)) && break
  sleep 0.5
done
((clients > 0 && servers == 1 && forks == clients)) ||
  fail "managed-job controllers: $clients clients, $servers command servers, $forks forks"
ok "the server's $clients managed-job controllers run as forks of one command server"
t0=$EPOCHREALTIME; client status >/dev/null; t1=$EPOCHREALTIME
figure "image (chart, runc): sky status $(python3 -c "print(f'{$t1 - $t0:.2f}')")s"
[[ -s $WORK/volumes/state/.sky/api_server/server.log ]] || fail "no server.log through the chart's FIFO and tee"
ok "the server's log reaches /root/.sky/api_server/server.log through the chart's FIFO and tee"

# -- 2. the same against the venv's server ------------------------------------
# Stopped while the image's container keeps its volumes (used again below).
runc --root "$RUNC_ROOT" kill chart KILL 2>/dev/null || true
stop_container chart
# Its HOME is bound on /root in its own mount namespace: the same paths
# as in the container (SkyPilot prints them).
VENV_HOME=$WORK/venv-home
rm -rf "$VENV_HOME"
mkdir -p "$VENV_HOME"
cp -a "$CREDS/." "$VENV_HOME/"
cp "$CREDS/.config/gcloud/sky-native-fake-service-account.json" "$VENV_HOME/gcp-cred.json"
printf '%s' "$CONFIG_YAML" > "$VENV_HOME/.sky/config.yaml"
# Its PATH: the venv's bin/ (its aws) and this host's commands without
# Python and the cloud tools (packaging/host_tools.sh): the image has no
# gcloud, and the host's would answer the GCP check for the venv.
# shellcheck source=packaging/host_tools.sh
source "$REPO/packaging/host_tools.sh"
host_tools "$WORK/host-tools"
# --kill-child: the kill -9 of unshare below ends the namespace with it (its
# PID 1, the server, would otherwise go on under init).
# shellcheck disable=SC2046
env -i HOME=/root PATH="$VENV/bin:$WORK/host-tools" LANG=C.UTF-8 VENV_HOME="$VENV_HOME" $(chart_env) \
  unshare --net --pid --fork --kill-child --mount-proc --mount --propagation private sh -c '
    mount --bind "$VENV_HOME" /root
    while ! ip link show veth-server >/dev/null 2>&1; do sleep 0.05; done
    exec env -u VENV_HOME sky api start --deploy --foreground' > "$WORK/venv-server.log" 2>&1 &
VENV_NS_PID=$!
sleep 0.2
join_network "$VENV_NS_PID"
healthy=$(wait_healthy) || fail "venv server not healthy: $(cat "$WORK/venv-server.log")"
figure "venv (sky api start --deploy, namespace): start to healthy ${healthy}s"
client_session "$WORK/venv-session"
sleep 5
figure "venv (sky api start --deploy, namespace): idle memory $(namespace_memory "$(cat "/proc/$VENV_NS_PID/task/$VENV_NS_PID/children" | awk '{print $1}')")"
t0=$EPOCHREALTIME; client status >/dev/null; t1=$EPOCHREALTIME
figure "venv (sky api start --deploy, namespace): sky status $(python3 -c "print(f'{$t1 - $t0:.2f}')")s"
kill -9 "$VENV_NS_PID"
wait "$VENV_NS_PID" 2>/dev/null || true
VENV_NS_PID=
diff -u "$WORK/venv-session" "$WORK/image-session" || fail "the image's server answers differently from the venv's"
ok "api login, api info, status, check, launch --dryrun: the same output from the image's server as from the venv's"
# -- 3. the chart's logrotate sidecar -----------------------------------------
# Its own command from the fixture, on the same state volume, in a root of
# its own (an overlay on the image's: the sidecar writes /etc/logrotate.conf
# and logrotate's state; the chart gives it a writable root). A server.log
# over the chart's 10M is rotated by copytruncate on the first pass.
SIDECAR=$WORK/sidecar
mkdir -p "$SIDECAR"/{upper,work,rootfs}
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$SIDECAR/upper,workdir=$SIDECAR/work" \
  "$SIDECAR/rootfs"
LOG=$WORK/volumes/state/.sky/api_server/server.log
head -c 11M /dev/zero | tr '\0' x >> "$LOG"
jq --argjson args "$(jq '.logrotate_sidecar.command + .logrotate_sidecar.args' "$FIXTURE")" \
  --arg state "$WORK/volumes/state/.sky" --arg root "$SIDECAR/rootfs" '
  .root = {path: $root, readonly: false} | .process.args = $args | .process.terminal = false |
  .process.cwd = "/" |
  .mounts += [{destination: "/root/.sky", type: "bind", source: $state, options: ["rbind", "rw"]}]
  ' "$BUNDLE/config.json.image" > "$SIDECAR/config.json"
runc --root "$RUNC_ROOT" run --bundle "$SIDECAR" logrotate > "$WORK/logrotate.log" 2>&1 </dev/null &
sidecar=$!
for _ in $(seq 300); do [[ -s $LOG.1 ]] && break; sleep 0.1; done
runc --root "$RUNC_ROOT" delete -f logrotate >/dev/null 2>&1 || true
wait "$sidecar" || true
umount "$SIDECAR/rootfs"
[[ -s $LOG.1 && $(stat -c %s "$LOG") -lt 1048576 ]] ||
  fail "the logrotate sidecar did not rotate server.log: $(cat "$WORK/logrotate.log")"
ok "the chart's logrotate sidecar rotates server.log ($(stat -c %s "$LOG.1") bytes to server.log.1, server.log truncated)"

if [[ $QUICK == quick ]]; then
  echo "chart-test (quick): $passed passed"
  exit 0
fi

# -- 4. kill -9 and a restart on the same volumes -----------------------------
# Users and secrets of the state volume $1: state.db's users, the server's
# JWT secret and user hash (system_config), users' SSH keys, service
# account and API access tokens.
db_state() {
  local db table
  for db in "$1"/state/.sky/state.db "$1"/state/.sky/spot_jobs.db; do
    for table in $(sqlite3 "$db" .tables); do
      [[ $table =~ ^(users|system_config|ssh_key|service_account_tokens|api_access_tokens)$ ]] || continue
      echo "== ${db##*/} $table"
      # A user's id, not its row: SkyPilot renames the server's own user at
      # start (seen here: "root", then its hash after the restart).
      if [[ $table == users ]]; then
        sqlite3 "$db" "SELECT id FROM users ORDER BY 1"
      else
        sqlite3 "$db" "SELECT * FROM $table ORDER BY 1"
      fi
    done
  done
}
pid=$(start_container chart)
wait_healthy >/dev/null || fail "restart after the venv comparison"
client status >/dev/null
before=$(db_state "$WORK/volumes")
grep -q jwt_secret <<<"$before" && grep -q "$(cat "$CLIENT_HOME/.sky/user_hash")" <<<"$before" ||
  fail "no users or secrets in the databases: $before"
server=$(cat "/proc/$pid/task/$pid/children" | awk '{print $1}')
kill -9 "$server"
for _ in $(seq 100); do [[ $(runc --root "$RUNC_ROOT" state chart | jq -r .status) == stopped ]] && break; sleep 0.1; done
[[ $(runc --root "$RUNC_ROOT" state chart | jq -r .status) == stopped ]] || fail "tini did not exit with its child"
stop_container chart
for db in "$WORK"/volumes/state/.sky/*.db "$WORK"/volumes/state/.sky/api_server/*.db; do
  [[ -f $db ]] || continue
  [[ $(sqlite3 "$db" 'PRAGMA integrity_check') == ok ]] || fail "$db: integrity_check"
done
pid=$(start_container chart)
healthy=$(wait_healthy) || fail "no restart on the same volumes: $(cat "$WORK/chart.log")"
after=$(db_state "$WORK/volumes")
[[ $before == "$after" ]] || fail "users or secrets changed over kill -9: $(diff <(echo "$before") <(echo "$after"))"
client status >/dev/null || fail "status after the restart"
ok "kill -9 of the server, restart on the same volumes in ${healthy}s (the chart's python3 -c path): databases pass integrity_check, users and secrets kept"

# -- 5. a uvicorn worker killed -----------------------------------------------
# The workers uvicorn started ("Started server process [PID]" in the
# chart's server.log, PIDs of the container's namespace).
LOG=$WORK/volumes/state/.sky/api_server/server.log
host_pid() {  # the host pid of pid $2 of the namespace of $1
  local p
  for p in $(namespace_pids "$1"); do
    [[ $(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null) == "$2" ]] && echo "$p" && return 0
  done
  return 1
}
started=$(grep -c 'Started server process' "$LOG")
worker=$(sed -n 's/.*Started server process \[\([0-9]*\)\].*/\1/p' "$LOG" | tail -1)
victim=$(host_pid "$pid" "$worker") || fail "uvicorn worker $worker not found"
kill -9 "$victim"
for _ in $(seq 600); do
  (($(grep -c 'Started server process' "$LOG") > started)) && break
  sleep 0.1
done
(($(grep -c 'Started server process' "$LOG") > started)) || fail "no worker replaced the killed one"
out=$(client status) || fail "status after killing a worker: $out"
curl -fsS -o /dev/null "$ENDPOINT/api/health" || fail "not healthy after killing a worker"
ok "uvicorn worker $worker killed with -9: a new one starts, the server stays healthy and answers status"

# -- 6. 20 requests, no zombie -------------------------------------------------
for _ in $(seq 20); do
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$ENDPOINT/status" ||
    fail "POST /status"
done
client status >/dev/null
sleep 2
# Orphans end as children of PID 1 (tini), which must reap them; a zombie
# whose parent still runs is that parent's to wait for (and transient).
zombies=0 others=0
for p in $(namespace_pids "$pid"); do
  [[ $(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null) == Z ]] || continue
  if [[ $(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) == "$pid" ]]; then
    zombies=$((zombies + 1))
  else
    others=$((others + 1))
  fi
done
[[ $zombies == 0 ]] || fail "$zombies zombies under PID 1 in the container after 20 requests"
ok "20 requests under tini leave no zombie under PID 1 ($others of a live parent, not yet waited for)"
stop_container chart

# -- 7. non-root, HOME on a volume, the pre-deploy hook's pip install ----------
# A wheel built here (no network): an admin policy that rejects every
# request with a marker; the server can only print it when the hook's pip
# install reached the server's processes.
WHEELS=$WORK/volumes-user/config
make_volumes "$WORK/volumes-user" 'admin_policy: sky_native_test_policy.RejectAll
' 1000
python3 - "$WHEELS" <<'EOF'
import base64, hashlib, sys, zipfile
name, version = 'sky_native_test_policy', '1.0'
files = {
    f'{name}.py': 'import sky\n\nclass RejectAll(sky.AdminPolicy):\n'
                  '    @classmethod\n    def validate_and_mutate(cls, user_request):\n'
                  '        raise RuntimeError("sky-native test policy ran")\n',
    f'{name}-{version}.dist-info/METADATA': f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n',
    f'{name}-{version}.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
}
record = ''
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()
    record += f'{path},sha256={digest},{len(text.encode())}\n'
files[f'{name}-{version}.dist-info/RECORD'] = record + f'{name}-{version}.dist-info/RECORD,,\n'
with zipfile.ZipFile(f'{sys.argv[1]}/{name}-{version}-py3-none-any.whl', 'w') as z:
    for path, text in files.items():
        z.writestr(path, text)
EOF
# podSecurityContext runAsUser/runAsGroup 1000 and extraEnvs HOME=/root:
# the chart's paths under /root are its volumes, owned by the user.
write_config "$WORK/volumes-user" 1000 \
  'pip install --no-index /var/skypilot/config/sky_native_test_policy-1.0-py3-none-any.whl'
pid=$(start_container chart-user)
healthy=$(wait_healthy) || fail "uid 1000 not healthy: $(cat "$WORK/chart-user.log")"
for p in $(namespace_pids "$pid"); do
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 1000)
  [[ $uid == 1000 ]] || fail "a process of uid $uid in the non-root container"
done
ok "as uid 1000 with HOME=/root on the chart's volumes: healthy in ${healthy}s, every process uid 1000"
grep -q "Successfully installed sky-native-test-policy\|Successfully installed sky_native_test_policy" \
  "$WORK/chart-user.log" || fail "the hook's pip install: $(cat "$WORK/chart-user.log")"
rm -rf "$CLIENT_HOME"
mkdir -p "$CLIENT_HOME"
client api login -e "$ENDPOINT" >/dev/null
out=$(client launch --dryrun -y -c chart-test echo hi) && fail "the policy did not reject: $out"
grep -q "sky-native test policy ran" <<<"$out" || fail "the policy did not run: $out"
ok "the pre-deploy hook's pip install (into PYTHONUSERBASE under /tmp) gives the server an admin policy it runs"
stop_container chart-user

# -- 8. hand-off: skopeo copies the layout -------------------------------------
rm -rf "$WORK/skopeo-dir"
skopeo copy --quiet "oci:$DIST/oci:latest" "dir:$WORK/skopeo-dir"
digest=$(jq -r '.manifests[0].digest' "$DIST/oci/index.json")
layers=$(jq -r '.layers[].digest' "$WORK/skopeo-dir/manifest.json")
for layer in $layers; do
  [[ -f $WORK/skopeo-dir/${layer#sha256:} ]] || fail "skopeo's copy lacks $layer"
  cmp "$WORK/skopeo-dir/${layer#sha256:}" "$DIST/oci/blobs/sha256/${layer#sha256:}" ||
    fail "skopeo's copy of $layer differs"
done
ok "skopeo copies the layout ($digest) to dir:, layers byte for byte"

echo "chart-test: $passed passed"
