#!/usr/bin/env bash
# Runs a command as the test cluster's client: in the client's network
# namespace (made by `cluster.sh up`; its only way out is the veth pair to
# the login node's sshd) and in a PID namespace of its own, with HOME set to
# a test home holding the cluster's ~/.slurm/config and key.
#
#   client.sh HOME COMMAND [ARGS...]
#
# The PID namespace makes SkyPilot's local API server (port 46580) private:
# `sky api stop` sees only this namespace's servers, and whatever the command
# leaves running ends with it. The user's own ~/.ssh, ~/.sky and ~/.slurm are
# never read or written (ssh is told which key to use; SkyPilot reads HOME).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 HOME COMMAND [ARGS...]" >&2
  exit 2
fi
STATE=${SKY_SLURM_STATE:-/var/lib/sky-native-slurm}
NETNS=${SKY_SLURM_NETNS:-sky-slurm-client}
home=$1
shift

if [[ ! -s $STATE/client/slurm-config ]] || ! ip netns list 2>/dev/null | grep -qw "$NETNS"; then
  echo "client.sh: the test cluster is not up (make slurm-up)" >&2
  exit 1
fi
mkdir -p "$home/.ssh" "$home/.slurm" "$home/.sky"
chmod 700 "$home/.ssh"
install -m 600 "$STATE/client/id_ed25519" "$home/.ssh/sky-slurm-key"
install -m 644 "$STATE/client/slurm-config" "$home/.slurm/config"
# Only Slurm is checked: no time spent probing clouds without credentials.
[[ -e $home/.sky/config.yaml ]] || printf 'allowed_clouds:\n  - slurm\n' >"$home/.sky/config.yaml"

exec ip netns exec "$NETNS" unshare --pid --fork --mount-proc --kill-child \
  env HOME="$home" SKYPILOT_DISABLE_USAGE_COLLECTION=1 "$@"
