#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for `make run` and the
# end-to-end tests (as root, Debian bookworm, no systemd):
#
#   cluster.sh up       install (apt), then start munged, slurmctld, slurmd
#                       and a key-only sshd for the cluster user; idempotent
#   cluster.sh down     cancel every allocation, stop what `up` started,
#                       delete the client's network namespace
#   cluster.sh status   what runs, and the queue
#
# The pieces:
# - The node is this machine: slurmctld and slurmd bound to 127.0.0.1 only
#   (non-default ports), munged on a socket of its own; all state, config and
#   logs in $SKY_SLURM_STATE, so a machine's own Slurm or munge is not touched.
# - The login node is sshd on port $SKY_SLURM_SSH_PORT, key-only, for the
#   unprivileged cluster user $SKY_SLURM_USER only; it listens on loopback
#   and on the host end of a veth pair whose other end is in the network
#   namespace $SKY_SLURM_NETNS, where the client (sky / sky-native and their
#   local API server on port 46580) runs (tests/slurm/client.sh), so that
#   API server never meets another one on this host.
# - The client's files (its key and ~/.slurm/config) are made in
#   $SKY_SLURM_STATE/client and copied into the test HOME client.sh is
#   given: the user's own ~/.ssh, ~/.sky and ~/.slurm are never touched.
# - The node's offline stand-ins (see node_stand_ins below) exist because
#   this machine reaches PyPI and Debian only.
set -euo pipefail

STATE=${SKY_SLURM_STATE:-/var/lib/sky-native-slurm}
CLUSTER_USER=${SKY_SLURM_USER:-skyslurm}
SSH_PORT=${SKY_SLURM_SSH_PORT:-22019}
CTLD_PORT=${SKY_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${SKY_SLURM_SLURMD_PORT:-16818}
NETNS=${SKY_SLURM_NETNS:-sky-slurm-client}
# The veth pair: host end / client end, addresses only this script creates.
HOST_IF=skyslurm-h
CLIENT_IF=skyslurm-c
HOST_ADDR=${SKY_SLURM_HOST_ADDR:-10.219.0.1}
CLIENT_ADDR=${SKY_SLURM_CLIENT_ADDR:-10.219.0.2}
NODE=$(hostname -s)
SLURM_NAME=local-slurm
APT_PACKAGES=(slurm-wlm munge openssh-server rsync curl iproute2 patchelf)

export SLURM_CONF=$STATE/slurm.conf

log() { echo "[cluster] $*"; }

# A directory this script owns: root's, not writable by anyone else
# (another local user may have made the name first).
owned_dir() {
  local dir=$1 mode=${2:-755}
  mkdir -p "$dir"
  if [[ $(stat -c %u "$dir") != 0 ]] || [[ -L $dir ]]; then
    echo "cluster.sh: $dir is not root's own directory; refusing to use it" >&2
    exit 1
  fi
  chmod "$mode" "$dir"
}

# The pid in a pid file when that process is still the named program
# (Debian's slurmctld and slurmd are links to slurmctld-wlm, slurmd-wlm).
running_pid() {
  local pidfile=$1 exe pid
  exe=$(readlink -f "$2")
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || return 1
  echo "$pid"
}

install_packages() {
  if ! dpkg -s "${APT_PACKAGES[@]}" >/dev/null 2>&1; then
    log "installing ${APT_PACKAGES[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${APT_PACKAGES[@]}" >/dev/null
  fi
}

cluster_user() {
  if ! id "$CLUSTER_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$CLUSTER_USER"
  fi
  # Not a locked account ('!'), which sshd refuses even for keys; no password.
  usermod -p '*' "$CLUSTER_USER"
  local home
  home=$(getent passwd "$CLUSTER_USER" | cut -d: -f6)
  # SkyPilot runs its commands on the login node in a login shell (`bash
  # --login`), where /etc/profile resets PATH: the node's stand-ins are put
  # first on PATH by the cluster user's profile.
  cat >"$home/.profile" <<EOF
# The sky-native test cluster's node: the offline stand-ins first on PATH
# ($STATE/node/bin: curl for uv's installer, python3.10).
export PATH=$STATE/node/bin:\$PATH
EOF
  chown "$CLUSTER_USER:" "$home/.profile"
}

# The node's stand-ins for what a real node downloads from the internet.
# They belong to this test cluster's node only (a real cluster's nodes have
# the internet), and each replaces one download:
# - uv: SkyPilot's runtime setup runs `curl -LsSf https://astral.sh/uv/install.sh
#   | sh` (sky/skylet/constants.py SKY_UV_INSTALL_CMD) into the cluster's
#   own $HOME/.local/bin (SkyPilot sets HOME per cluster, so uv cannot be
#   placed there beforehand). node/curl serves node/uv-installer.sh for that
#   URL, which installs the uv of PyPI's wheel; any other URL is real curl.
# - A CPython 3.10: the runtime's venv is `uv venv --python 3.10`, which
#   would download a Python from GitHub; bookworm has no 3.10. pyenv's 3.10
#   is copied (root's home is not readable by the cluster user) and made
#   relocatable (its libpython found from $ORIGIN).
# - /etc/uv/uv.toml: `python-downloads = "never"` (use that 3.10, never try
#   GitHub) and `native-tls = true` (PyPI is reached through a
#   TLS-intercepting proxy whose CA is in the system store only, which uv's
#   own roots lack). System-wide because uv reads no user config under the
#   per-cluster HOME; written only when absent, removed by `down` if ours.
UV_CONFIG=/etc/uv/uv.toml
UV_CONFIG_MARK='# sky-native test cluster (tests/slurm/cluster.sh)'
node_stand_ins() {
  local node=$STATE/node here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  owned_dir "$node"
  owned_dir "$node/bin"
  install -m 755 "$here/node/curl" "$node/bin/curl"
  sed "s|@NODE_DIR@|$node|" "$here/node/uv-installer.sh" >"$node/uv-installer.sh"
  chmod 755 "$node/uv-installer.sh"

  if [[ ! -x $node/uv/uv ]]; then
    log "node stand-in: uv from PyPI's wheel"
    local wheels
    wheels=$(mktemp -d)
    # The project's venv (make setup) has pip; Debian's python3.11 may not.
    "$here/../../.venv/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
      --dest "$wheels" uv
    rm -rf "$node/uv.tmp" && mkdir -p "$node/uv.tmp"
    unzip -q -j "$wheels"/uv-*.whl '*/scripts/uv' '*/scripts/uvx' -d "$node/uv.tmp"
    chmod 755 "$node/uv.tmp/uv" "$node/uv.tmp/uvx"
    rm -rf "$wheels" "$node/uv" && mv "$node/uv.tmp" "$node/uv"
  fi

  if [[ ! -x $node/python3.10/bin/python3.10 ]]; then
    local src
    src=$(ls -d "$HOME"/.pyenv/versions/3.10.* 2>/dev/null | sort -V | tail -1)
    if [[ -z $src ]]; then
      echo "cluster.sh: the node needs a CPython 3.10 (~/.pyenv/versions/3.10.*): none found" >&2
      exit 1
    fi
    log "node stand-in: CPython 3.10 from $src, relocatable"
    rm -rf "$node/python3.10.tmp"
    cp -a "$src" "$node/python3.10.tmp"
    rm -rf "$node/python3.10.tmp/lib/python3.10/test"
    patchelf --set-rpath '$ORIGIN/../lib' "$node/python3.10.tmp/bin/python3.10"
    mv "$node/python3.10.tmp" "$node/python3.10"
  fi
  ln -sfn ../python3.10/bin/python3.10 "$node/bin/python3.10"

  if [[ ! -e $UV_CONFIG ]]; then
    mkdir -p "$(dirname "$UV_CONFIG")"
    printf '%s: offline node stand-in\npython-downloads = "never"\nnative-tls = true\n' \
      "$UV_CONFIG_MARK" >"$UV_CONFIG"
  fi
}

munge_up() {
  # Slurm's clients run as the cluster user: the socket's directory lets
  # them reach it (711: not list it); the key stays root's (400).
  owned_dir "$STATE/munge" 711
  if [[ ! -s $STATE/munge/munge.key ]]; then
    mungekey --create --keyfile="$STATE/munge/munge.key"
    chmod 400 "$STATE/munge/munge.key"
  fi
  running_pid "$STATE/munge/munged.pid" /usr/sbin/munged >/dev/null && return
  log "starting munged"
  munged --force --key-file="$STATE/munge/munge.key" --socket="$STATE/munge/munge.socket" \
    --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
    --seed-file="$STATE/munge/munged.seed"
}

slurm_conf() {
  owned_dir "$STATE/spool"
  owned_dir "$STATE/log"
  owned_dir "$STATE/run"
  # CPUs and memory as slurmd sees them.
  local cpus mem
  read -r cpus mem < <(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*RealMemory=\([0-9]*\).*/\1 \2/p')
  cat >"$SLURM_CONF.tmp" <<EOF
# The sky-native test cluster (tests/slurm/cluster.sh): one node, this host.
ClusterName=skynative
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
# Bind to the configured addresses (loopback), not to every address.
CommunicationParameters=NoInAddrAny
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$STATE/munge/munge.socket
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# No systemd, no cgroup delegation here.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$((mem / cpus))
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES DefaultTime=1-00:00:00 MaxTime=INFINITE State=UP
EOF
  mv "$SLURM_CONF.tmp" "$SLURM_CONF"
  chmod 644 "$SLURM_CONF"
}

slurm_up() {
  slurm_conf
  owned_dir "$STATE/spool/ctld"
  owned_dir "$STATE/spool/d"
  if ! running_pid "$STATE/run/slurmctld.pid" /usr/sbin/slurmctld >/dev/null; then
    log "starting slurmctld"
    # -c: no job of an earlier run comes back holding the CPUs.
    slurmctld -c -f "$SLURM_CONF"
  fi
  if ! running_pid "$STATE/run/slurmd.pid" /usr/sbin/slurmd >/dev/null; then
    log "starting slurmd"
    slurmd -f "$SLURM_CONF"
  fi
  local i
  for i in $(seq 60); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      return
    fi
    scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
    sleep 0.5
  done
  echo "cluster.sh: the node did not come up:" >&2
  sinfo -N >&2 || true
  tail -20 "$STATE/log/slurmd.log" "$STATE/log/slurmctld.log" >&2 || true
  exit 1
}

client_netns() {
  if ! ip netns list 2>/dev/null | grep -qw "$NETNS"; then
    ip netns add "$NETNS"
  fi
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$CLIENT_IF"
    ip link set "$CLIENT_IF" netns "$NETNS"
    ip addr add "$HOST_ADDR/30" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip -n "$NETNS" addr add "$CLIENT_ADDR/30" dev "$CLIENT_IF"
    ip -n "$NETNS" link set "$CLIENT_IF" up
    ip -n "$NETNS" link set lo up
  fi
}

sshd_up() {
  local dir=$STATE/sshd home
  owned_dir "$dir"
  owned_dir "$dir/keys"
  owned_dir "$STATE/client" 700
  [[ -s $dir/host_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  [[ -s $STATE/client/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C sky-slurm-client \
    -f "$STATE/client/id_ed25519"
  install -m 644 "$STATE/client/id_ed25519.pub" "$dir/keys/$CLUSTER_USER"
  cat >"$dir/sshd_config" <<EOF
# The sky-native test cluster's login node: keys only, one user.
Port $SSH_PORT
ListenAddress 127.0.0.1
ListenAddress $HOST_ADDR
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/keys/%u
AllowUsers $CLUSTER_USER
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes yes
Subsystem sftp internal-sftp
# Every session (SkyPilot's rsync runs srun without a login shell) finds this
# cluster's Slurm config.
SetEnv SLURM_CONF=$SLURM_CONF
EOF
  # The client's side: an SSH config naming the login node, as SkyPilot
  # reads ~/.slurm/config (client.sh puts the key at this path).
  cat >"$STATE/client/slurm-config" <<EOF
Host $SLURM_NAME
  HostName $HOST_ADDR
  Port $SSH_PORT
  User $CLUSTER_USER
  IdentityFile ~/.ssh/sky-slurm-key
EOF
  if ! running_pid "$dir/sshd.pid" /usr/sbin/sshd >/dev/null; then
    log "starting sshd on $HOST_ADDR:$SSH_PORT and 127.0.0.1:$SSH_PORT"
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$dir/sshd_config"
  fi
}

up() {
  install_packages
  owned_dir "$STATE"
  cluster_user
  node_stand_ins
  munge_up
  slurm_up
  client_netns
  sshd_up
  log "up: node $NODE ($(sinfo -h -N -o '%c CPUs, %m MB, %T')), login node" \
    "$CLUSTER_USER@$HOST_ADDR:$SSH_PORT, client namespace $NETNS"
}

stop_pidfile() {
  local pidfile=$1 exe=$2 name=$3 pid i
  pid=$(running_pid "$pidfile" "$exe") || return 0
  log "stopping $name ($pid)"
  kill "$pid"
  for i in $(seq 50); do
    [[ -e /proc/$pid ]] || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

down() {
  if running_pid "$STATE/run/slurmctld.pid" /usr/sbin/slurmctld >/dev/null; then
    local jobs
    jobs=$(squeue -h -o %i 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      log "cancelling allocations: $(echo $jobs)"
      scancel $jobs || true
      local i
      for i in $(seq 50); do
        [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
        sleep 0.2
      done
    fi
  fi
  stop_pidfile "$STATE/sshd/sshd.pid" /usr/sbin/sshd sshd
  stop_pidfile "$STATE/run/slurmd.pid" /usr/sbin/slurmd slurmd
  stop_pidfile "$STATE/run/slurmctld.pid" /usr/sbin/slurmctld slurmctld
  stop_pidfile "$STATE/munge/munged.pid" /usr/sbin/munged munged
  # Job steps whose slurmd is gone (their working directory is this
  # cluster's), then what the cluster's jobs left behind (the user is this
  # cluster's own).
  local stepd
  for stepd in /proc/[0-9]*; do
    if [[ $(readlink "$stepd/exe" 2>/dev/null) == "$(readlink -f /usr/sbin/slurmstepd)" ]] &&
      [[ $(readlink "$stepd/cwd" 2>/dev/null) == "$STATE"/* ]]; then
      log "stopping a leftover slurmstepd (${stepd#/proc/})"
      kill -9 "${stepd#/proc/}" 2>/dev/null || true
    fi
  done
  if id -u "$CLUSTER_USER" >/dev/null 2>&1; then
    local uid pids
    uid=$(id -u "$CLUSTER_USER")
    pids=$(ps -o pid= -u "$uid" || true)
    if [[ -n $pids ]]; then
      log "stopping the cluster user's leftover processes: $(echo $pids)"
      kill -9 $pids 2>/dev/null || true
    fi
  fi
  if ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link del "$HOST_IF"
  fi
  if ip netns list 2>/dev/null | grep -qw "$NETNS"; then
    log "deleting network namespace $NETNS"
    ip netns del "$NETNS"
  fi
  if [[ -f $UV_CONFIG ]] && grep -qF "$UV_CONFIG_MARK" "$UV_CONFIG"; then
    rm -f "$UV_CONFIG"
  fi
  log "down"
}

status() {
  local name pidfile exe
  for name in munged slurmctld slurmd sshd; do
    case $name in
      munged) pidfile=$STATE/munge/munged.pid ;;
      slurmctld) pidfile=$STATE/run/slurmctld.pid ;;
      slurmd) pidfile=$STATE/run/slurmd.pid ;;
      sshd) pidfile=$STATE/sshd/sshd.pid ;;
    esac
    exe=/usr/sbin/$name
    if pid=$(running_pid "$pidfile" "$exe"); then
      echo "$name: running ($pid)"
    else
      echo "$name: stopped"
    fi
  done
  if ip netns list 2>/dev/null | grep -qw "$NETNS"; then
    echo "client namespace $NETNS: present"
  else
    echo "client namespace $NETNS: absent"
  fi
  if running_pid "$STATE/run/slurmctld.pid" /usr/sbin/slurmctld >/dev/null; then
    sinfo -N
    squeue
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
