#!/usr/bin/env bash
# `make run`'s main job, run as the test cluster's client (client.sh): a
# real task launched on the local Slurm cluster through the given CLI
# (build/sky-native), its logs, an exec, the queue, the status, `down`, and
# the local API server stopped. Each step says what it does and its time.
#
#   run.sh CLI
set -euo pipefail
cli=$1
cluster=${SKY_RUN_CLUSTER:-sky-native-demo}
cd "$(dirname "$0")"

step() {
  local what=$1 start status=0
  shift
  echo
  echo "==> $what: $(basename "$cli") $*"
  start=$(date +%s.%N)
  "$cli" "$@" || status=$?
  printf '<== %s: %.1f s\n' "$what" "$(echo "$(date +%s.%N) - $start" | bc)"
  return "$status"
}

# A failed step still takes the cluster down and stops the API server.
cleanup() {
  "$cli" down -y "$cluster" >/dev/null 2>&1 || true
  "$cli" api stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "check access to the local Slurm cluster" check slurm
step "launch the task (workdir ./workdir, file_mounts ~/data)" \
  launch -y -c "$cluster" --infra slurm task.yaml
step "the task's logs" logs "$cluster"
step "exec a command on the cluster" exec "$cluster" 'echo "exec on $(hostname): $(ls ~/data)"'
step "the cluster's job queue" queue "$cluster"
step "the clusters" status
step "take the cluster down" down -y "$cluster"
step "stop the local API server" api stop
trap - EXIT
